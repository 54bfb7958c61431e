package dev.aenstream.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.TopicReader;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An encoder that was away while retention removed records it had not read says so: Kafka Streams
 * moves its position to the log's start without a word, the encoder raises ROWS_LOST_TO_RETENTION
 * with the offsets lost; transaction markers, which skip offsets too, raise nothing.
 */
class EncoderRetentionIT {
    private static final int N = 8;
    private static final int D = 16;
    private static final int FIRST = 6;
    private static final int WHILE_AWAY = 20;
    private static final long DELETED_BEFORE = 20;

    @TempDir Path state;

    @Test
    void recordsRemovedBeforeTheEncoderReadThemRaiseOneAlertWithTheirOffsets() throws Exception {
        Topics topics = new Topics("ret.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(1, (short) 1));
            String bootstrap = cluster.bootstrapServers();
            // Kafka Streams leaves no group on close: the second encoder would wait out the first
            // one's session (45 s by default).
            KafkaConnection kafka =
                    KafkaConnection.of(bootstrap)
                            .with(
                                    Map.of(
                                            "session.timeout.ms",
                                            "6000",
                                            "heartbeat.interval.ms",
                                            "1500"));
            EncodeConfig config = EncodeConfig.defaults(topics, state).withApplicationId("ret");
            try (SaeEncoder encoder =
                            SaeEncoder.open(
                                    SaeParameters.initialise(N, D, 1),
                                    new EncoderSpec(4, false),
                                    Device.CPU,
                                    1);
                    KafkaProducer<byte[], byte[]> producer = transactional(bootstrap)) {
                ServingSae sae = new ServingSae("s", 1, encoder, "test");
                // Each record in its own transaction: a marker after each skips an offset.
                send(producer, topics, 0, FIRST);
                try (EncoderNode node = EncoderNode.serving(kafka, config, sae).startEncoding()) {
                    awaitCodes(bootstrap, topics, FIRST);
                }
                send(producer, topics, FIRST, WHILE_AWAY);
                // Retention, as the broker applies it: the log now starts at DELETED_BEFORE.
                admin.deleteRecords(
                                Map.of(
                                        new TopicPartition(topics.activations(), 0),
                                        RecordsToDelete.beforeOffset(DELETED_BEFORE)))
                        .all()
                        .get(30, TimeUnit.SECONDS);
                try (EncoderNode node = EncoderNode.serving(kafka, config, sae).startEncoding()) {
                    awaitCodes(bootstrap, topics, FIRST + 5);
                    Thread.sleep(2000); // the watch checks skipped offsets once a second
                }
            }
            List<Alert> alerts =
                    TopicReader.readFor(bootstrap, topics.alerts(), false, Duration.ofSeconds(3))
                            .stream()
                            .map(r -> new AvroSerde<>(Alert.class).fromBytes(r.value()))
                            .toList();
            // The first run read records at offsets 0, 2, .., 10 (a marker after each) and went
            // on from 11; offsets 11..19 (four records, five markers) were removed.
            assertThat(alerts)
                    .singleElement()
                    .satisfies(
                            a -> {
                                assertThat(a.getAlertType())
                                        .isEqualTo(AlertType.ROWS_LOST_TO_RETENTION);
                                assertThat(a.getValue())
                                        .isEqualTo(DELETED_BEFORE - (2 * FIRST - 1));
                                assertThat(a.getMessage())
                                        .contains(
                                                "offsets "
                                                        + (2 * FIRST - 1)
                                                        + " to "
                                                        + (DELETED_BEFORE - 1))
                                        .contains("encoder ret")
                                        .contains("goes on from offset " + DELETED_BEFORE);
                            });
        }
    }

    private static KafkaProducer<byte[], byte[]> transactional(String bootstrap) {
        KafkaProducer<byte[], byte[]> p =
                new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap, "transactional.id", "ret-producer"),
                        new ByteArraySerializer(),
                        new ByteArraySerializer());
        p.initTransactions();
        return p;
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer, Topics topics, int from, int count) {
        AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
        for (int i = from; i < from + count; i++) {
            float[] x = new float[N];
            x[i % N] = 1 + i;
            ActivationBatch batch =
                    ActivationBatch.newBuilder()
                            .setSourceModel("test")
                            .setHookPoint("h")
                            .setRows(1)
                            .setN(N)
                            .setDtype(Dtype.FLOAT32)
                            .setNormalisation(Normalisation.NONE)
                            .setProducerId("ret@1")
                            .setSequence(i)
                            .setPayload(Matrices.encode(x, 0, 1, N, Dtype.FLOAT32))
                            .setTimestampMs(0)
                            .build();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topics.activations(), serde.toBytes(batch)));
            producer.commitTransaction();
        }
    }

    private static void awaitCodes(String bootstrap, Topics topics, int records) {
        assertThat(
                        TopicReader.read(
                                        bootstrap,
                                        topics.codes(),
                                        true,
                                        records,
                                        Duration.ofSeconds(90),
                                        Duration.ZERO)
                                .size())
                .as("codes of %d records", records)
                .isGreaterThanOrEqualTo(records);
    }
}
