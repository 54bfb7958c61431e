package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.ReferenceEncoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.OpenTransactions;
import dev.aenstream.testkit.TopicReader;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The encode application against a real broker: synthetic rows in, codes out, exactly once, while
 * its transactional producer is fenced by the broker mid-transaction, again and again (as when a
 * zombie instance is replaced): the aborted transactions' codes are in the log, so a reader that
 * took uncommitted records would see duplicates, and a read_committed reader sees every record
 * once.
 */
class EncodeIT {
    private static final int ROWS_PER_RECORD = 256;
    private static final int RECORDS = 48;
    private static final int D = 512;
    private static KafkaClusterTestKit cluster;

    @TempDir static Path stateDir;

    @BeforeAll
    static void startBroker() throws Exception {
        cluster = KafkaTestCluster.start(1);
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (cluster != null) cluster.close();
    }

    @Test
    void everyRowComesBackAsCodesExactlyOnceAndBadRecordsBecomeDeadLetters() throws Exception {
        Topics topics = new Topics("it.");
        // Besides the codes, the monitor reads these; anyone may write to them.
        List<String> monitorInputs = List.of(topics.trainerMetrics(), topics.spliceFigures());
        try (Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(3, (short) 1));
        }
        SpikedConfig spiked =
                SpikedConfig.builder()
                        .set(SpikedConfig.N, 256)
                        .set(SpikedConfig.ATOMS, 1024)
                        .set(SpikedConfig.K, 16)
                        .set(SpikedConfig.RHO, 0.3)
                        .set(SpikedConfig.NOISE, 0.01)
                        .set(SpikedConfig.SEED, 17)
                        .build();
        SaeParameters params = SaeParameters.initialise(spiked.get(SpikedConfig.N), D, 99);
        SaeRegistry registry = new SaeRegistry();
        Map<String, Map.Entry<byte[], DeadLetterReason>> bad =
                BadRecords.of(spiked.get(SpikedConfig.N));

        try (SaeEncoder encoder =
                SaeEncoder.open(params, new EncoderSpec(D, false), Device.CPU, 1)) {
            registry.put(new ServingSae("it-sae", 1, encoder, "initialised for the test"));
            EncodeConfig config =
                    EncodeConfig.defaults(topics, stateDir).withApplicationId("it-encode");
            try (EncodeApp app =
                    new EncodeApp(
                            KafkaConnection.of(cluster.bootstrapServers()), config, registry)) {
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();

                PublisherConfig pub =
                        PublisherConfig.of(
                                        topics.activations(), "synthetic", "spiked", "it-producer")
                                .with(PublisherConfig.ROWS_PER_RECORD, ROWS_PER_RECORD);
                SpikedGenerator generator = new SpikedGenerator(spiked);
                float[] x = new float[ROWS_PER_RECORD * spiked.get(SpikedConfig.N)];
                List<byte[]> badValues =
                        new ArrayList<>(bad.values().stream().map(Map.Entry::getKey).toList());
                List<String> badKeys = new ArrayList<>(bad.keySet());
                int fenced = 0;
                try (ActivationPublisher publisher =
                                new ActivationPublisher(
                                        KafkaConnection.of(cluster.bootstrapServers()), pub);
                        KafkaProducer<byte[], byte[]> raw =
                                new KafkaProducer<>(
                                        Map.of("bootstrap.servers", cluster.bootstrapServers()),
                                        new ByteArraySerializer(),
                                        new ByteArraySerializer())) {
                    for (int r = 0; r < RECORDS; r++) {
                        generator.next(x, 0, ROWS_PER_RECORD);
                        publisher.publish(x, ROWS_PER_RECORD, spiked.get(SpikedConfig.N));
                        if (r % 8 == 7) {
                            publisher.flush();
                            fenced += fenceOngoing("it-encode");
                        }
                        if (r % 6 == 3 && !badKeys.isEmpty()) {
                            publisher.flush();
                            raw.send(
                                            new ProducerRecord<>(
                                                    topics.activations(),
                                                    badKeys.remove(0)
                                                            .getBytes(StandardCharsets.UTF_8),
                                                    badValues.remove(0)))
                                    .get();
                        }
                    }
                    assertThat(badKeys).isEmpty();
                    for (String topic : monitorInputs)
                        raw.send(
                                        new ProducerRecord<>(
                                                topic, "it-sae".getBytes(), new byte[] {1, 2, 3}))
                                .get();
                }

                assertThat(fenced).as("transactions fenced while open").isPositive();
                Map<Long, FeatureCodes> bySequence = new HashMap<>();
                int[] duplicates = {0};
                drain(
                        topics.codes(),
                        RECORDS,
                        v -> {
                            FeatureCodes c = new AvroSerde<>(FeatureCodes.class).fromBytes(v);
                            if (bySequence.put(c.getSequence(), c) != null) duplicates[0]++;
                        });
                List<DeadLetter> letters = new ArrayList<>();
                drain(
                        topics.dlq(),
                        bad.size() + monitorInputs.size(),
                        v -> letters.add(new AvroSerde<>(DeadLetter.class).fromBytes(v)));
                assertThat(app.state().isRunningOrRebalancing()).isTrue();

                assertThat(duplicates[0]).isZero();
                assertThat(bySequence.keySet()).hasSize(RECORDS);
                // The fences hit open transactions that held codes: the log holds more codes
                // records than were committed, and read_committed hid the aborted ones.
                int everything =
                        TopicReader.readFor(
                                        cluster.bootstrapServers(),
                                        topics.codes(),
                                        false,
                                        Duration.ofSeconds(3))
                                .size();
                assertThat(everything).isGreaterThan(RECORDS);
                long rows = bySequence.values().stream().mapToLong(FeatureCodes::getRows).sum();
                assertThat(rows)
                        .isEqualTo((long) RECORDS * ROWS_PER_RECORD)
                        .isGreaterThanOrEqualTo(10_000);

                // Regenerate the same stream and compare every code with the plain-Java forward
                // pass.
                // Regenerate the same stream and compare every code row with the plain-Java forward
                // pass. ORT
                // sums in another order in float32, so the error is measured relative to the row
                // (the
                // norm-wise relative error), not per element, where codes near zero make ratios
                // meaningless.
                SpikedGenerator replay = new SpikedGenerator(spiked);
                double worstRow = 0;
                for (long seq = 0; seq < RECORDS; seq++) {
                    replay.next(x, 0, ROWS_PER_RECORD);
                    FeatureCodes record = bySequence.get(seq);
                    assertThat(record.getSaeId()).isEqualTo("it-sae");
                    assertThat(record.getVersion()).isEqualTo(1);
                    SparseCodes codes = CodesRecords.fromRecord(record);
                    for (int r = 0; r < ROWS_PER_RECORD; r++) {
                        double[] expected =
                                ReferenceEncoder.encode(
                                        params, x, r * spiked.get(SpikedConfig.N), false);
                        float[] got = codes.denseRow(r);
                        double diff = 0;
                        double norm = 0;
                        for (int j = 0; j < D; j++) {
                            diff += (got[j] - expected[j]) * (got[j] - expected[j]);
                            norm += expected[j] * expected[j];
                        }
                        worstRow = Math.max(worstRow, Math.sqrt(diff / norm));
                    }
                }
                assertThat(worstRow)
                        .as("worst norm-wise relative error of a code row")
                        .isLessThanOrEqualTo(1e-5);

                Map<DeadLetterReason, Long> reasons = new HashMap<>();
                letters.forEach(l -> reasons.merge(l.getReason(), 1L, Long::sum));
                Map<DeadLetterReason, Long> expectedReasons = new HashMap<>();
                bad.values().forEach(e -> expectedReasons.merge(e.getValue(), 1L, Long::sum));
                expectedReasons.merge(
                        DeadLetterReason.MALFORMED_BYTES, (long) monitorInputs.size(), Long::sum);
                assertThat(reasons).isEqualTo(expectedReasons);
                assertThat(letters)
                        .filteredOn(l -> l.getApplication().toString().equals("monitor"))
                        .extracting(l -> l.getSourceTopic().toString())
                        .containsExactlyInAnyOrderElementsOf(monitorInputs);
                assertThat(letters).allSatisfy(l -> assertThat(l.getValue()).isNotNull());
            }
        }
    }

    /**
     * Waits for an open transaction of the application and has the broker fence its producer, as it
     * does when another instance takes over with the same transactional id; returns how many were
     * fenced.
     */
    private static int fenceOngoing(String applicationId) throws Exception {
        try (Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            return OpenTransactions.fence(admin, applicationId);
        }
    }

    /**
     * Reads a topic from the start with read_committed; past the expected count, a short wait would
     * show a duplicate.
     */
    private static void drain(
            String topic, int expected, java.util.function.Consumer<byte[]> sink) {
        TopicReader.read(
                        cluster.bootstrapServers(),
                        topic,
                        true,
                        expected,
                        Duration.ofSeconds(120),
                        Duration.ofSeconds(2))
                .forEach(record -> sink.accept(record.value()));
    }
}
