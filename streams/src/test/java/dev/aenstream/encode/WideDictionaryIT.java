package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeState;
import dev.aenstream.avro.Topics;
import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.monitor.SaeStates;
import dev.aenstream.monitor.ShardedWindows;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.RowText;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.TopicReader;
import dev.aenstream.testkit.Wait;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dictionary as wide as Llama Scope's and Gemma Scope's (D = 131,072; a small n keeps it fast)
 * served through Kafka Streams with statistics and contexts on: every record that grows with D
 * stays under the broker's limit, so codes, the window's statistics (in blocks, which add up to the
 * codes' active counts), the monitor's views and top contexts all come out, and nothing goes to the
 * dead letters. On a main without blocks the statistics record was 19.4 MB and the stream thread
 * died on it, again and again.
 */
class WideDictionaryIT {
    private static final int N = 8;
    private static final int D = 131_072;
    private static final int K_MAX = 32;
    private static final int RECORDS = 6;
    private static final int ROWS = 64;

    @TempDir Path stateDir;

    @Test
    void aWideDictionaryPublishesCodesStatisticsAndContexts() throws Exception {
        Topics topics = new Topics("wide.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1)) {
            String bootstrap = cluster.bootstrapServers();
            KafkaConnection connection = KafkaConnection.of(bootstrap);
            try (Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
                dev.aenstream.topics.TopicProvisioner.ensure(
                        admin, topics, new dev.aenstream.topics.TopicSettings(1, (short) 1));
            }
            MonitorConfig monitor =
                    MonitorConfig.defaults().toBuilder()
                            .set(MonitorConfig.WINDOW_MS, 2_000L)
                            .build();
            SaeRegistry registry = new SaeRegistry();
            SaeParameters params = SaeParameters.initialise(N, D, 3);
            try (SaeEncoder encoder =
                    SaeEncoder.open(params, new EncoderSpec(K_MAX, false), Device.CPU, 1)) {
                // Served before the application starts, which sizes its transactions by it.
                registry.put(
                        new ServingSae("wide", 1, encoder, "test", SaeDecoder.of(params), false));
                try (EncodeApp app =
                        new EncodeApp(
                                connection,
                                EncodeConfig.defaults(topics, stateDir).toBuilder()
                                        .monitor(monitor)
                                        .build(),
                                registry)) {
                    app.start();
                    assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
                    publish(connection, topics);
                    // And a record from a producer whose clock runs 50 minutes fast: the topic is
                    // stamped by the broker, so it closes no one's window (under the producer's
                    // stamp, every other record's part would come after its window closed).
                    try (KafkaProducer<byte[], byte[]> fast =
                            new KafkaProducer<>(
                                    Map.of("bootstrap.servers", bootstrap),
                                    new ByteArraySerializer(),
                                    new ByteArraySerializer())) {
                        float[] x = new float[ROWS * N];
                        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
                        fast.send(
                                        new ProducerRecord<>(
                                                topics.activations(),
                                                null,
                                                System.currentTimeMillis() + 50 * 60_000L,
                                                "fast-clock/0".getBytes(StandardCharsets.UTF_8),
                                                new AvroSerde<>(ActivationBatch.class)
                                                        .toBytes(
                                                                BadRecords.batch(
                                                                        x,
                                                                        ROWS,
                                                                        N,
                                                                        "fast-clock",
                                                                        0))))
                                .get();
                    }

                    List<ConsumerRecord<byte[], byte[]>> codes =
                            TopicReader.read(
                                    bootstrap,
                                    topics.codes(),
                                    true,
                                    RECORDS + 1,
                                    Duration.ofSeconds(90),
                                    Duration.ofSeconds(1));
                    assertThat(codes).hasSize(RECORDS + 1);
                    // The codes carry each row's top K_MAX; its active count says how many fired.
                    long[] fires = new long[D];
                    long[] active = {0};
                    AvroSerde<FeatureCodes> codesSerde = new AvroSerde<>(FeatureCodes.class);
                    for (ConsumerRecord<byte[], byte[]> r : codes) {
                        SparseCodes c = CodesRecords.fromRecord(codesSerde.fromBytes(r.value()));
                        for (int a : c.activeCounts()) active[0] += a;
                        for (int e = 0; e < c.entries(); e++)
                            if (c.values()[e] > 0) fires[c.indices()[e]]++;
                    }

                    AvroSerde<FeatureStats> statsSerde = new AvroSerde<>(FeatureStats.class);
                    Optional<FeatureStats>[] whole = new Optional[] {Optional.empty()};
                    boolean complete =
                            Wait.until(
                                    Duration.ofSeconds(60),
                                    () -> {
                                        ShardedWindows windows = new ShardedWindows();
                                        long tokens = 0;
                                        double l0Sum = 0;
                                        long[] counted = new long[D];
                                        TreeMap<String, FeatureStats> latest = new TreeMap<>();
                                        for (ConsumerRecord<byte[], byte[]> r :
                                                TopicReader.readFor(
                                                        bootstrap,
                                                        topics.featureStats(),
                                                        true,
                                                        Duration.ofSeconds(2)))
                                            latest.put(
                                                    new String(r.key()),
                                                    statsSerde.fromBytes(r.value()));
                                        for (FeatureStats s : latest.values()) {
                                            Optional<FeatureStats> w = windows.add(s);
                                            if (w.isEmpty()) continue;
                                            assertThat(w.get().getD()).isEqualTo(D);
                                            tokens += w.get().getTokens();
                                            l0Sum += w.get().getL0Sum();
                                            long[] f = FeatureAccumulator.fireCounts(w.get());
                                            for (int j = 0; j < D; j++) counted[j] += f[j];
                                            whole[0] = w;
                                        }
                                        if (tokens != (long) (RECORDS + 1) * ROWS) return false;
                                        // Every feature fired at least as often as the codes
                                        // show, and the fires add up to the rows' active counts.
                                        for (int j = 0; j < D; j++)
                                            assertThat(counted[j]).isGreaterThanOrEqualTo(fires[j]);
                                        assertThat(java.util.Arrays.stream(counted).sum())
                                                .isEqualTo(active[0]);
                                        assertThat(l0Sum).isEqualTo((double) active[0]);
                                        return true;
                                    });
                    assertThat(complete)
                            .as("feature-stats covers every token of the codes, whole dictionary")
                            .isTrue();
                    assertThat(whole[0].get().getFve())
                            .as("the fve survives the split")
                            .isNotNull();

                    List<ConsumerRecord<byte[], byte[]>> contexts =
                            TopicReader.readFor(
                                    bootstrap,
                                    topics.featureContexts(),
                                    true,
                                    Duration.ofSeconds(5));
                    AvroSerde<FeatureContexts> contextsSerde =
                            new AvroSerde<>(FeatureContexts.class);
                    assertThat(contexts).isNotEmpty();
                    assertThat(
                                    contexts.stream()
                                            .mapToInt(
                                                    r ->
                                                            contextsSerde
                                                                    .fromBytes(r.value())
                                                                    .getContexts()
                                                                    .size())
                                            .sum())
                            .isPositive();
                    // The monitor keeps a view per block; together they are the whole dictionary's.
                    AvroSerde<SaeState> stateSerde = new AvroSerde<>(SaeState.class);
                    TreeMap<String, SaeState> views = new TreeMap<>();
                    for (ConsumerRecord<byte[], byte[]> r :
                            TopicReader.readFor(
                                    bootstrap, topics.saeState(), true, Duration.ofSeconds(2)))
                        views.put(new String(r.key()), stateSerde.fromBytes(r.value()));
                    assertThat(views).hasSize(8);
                    // Each block's view is its own: blocks of one width sharing one would add up.
                    assertThat(views.values())
                            .allSatisfy(
                                    v ->
                                            assertThat(v.getTokens())
                                                    .isEqualTo((long) (RECORDS + 1) * ROWS));
                    assertThat(SaeStates.merged(views.values()))
                            .singleElement()
                            .satisfies(
                                    s -> {
                                        assertThat(s.getD()).isEqualTo(D);
                                        assertThat(s.getTokens())
                                                .isEqualTo((long) (RECORDS + 1) * ROWS);
                                    });

                    List<ConsumerRecord<byte[], byte[]>> dead =
                            TopicReader.readFor(
                                    bootstrap, topics.dlq(), true, Duration.ofSeconds(1));
                    assertThat(
                                    dead.stream()
                                            .map(
                                                    r ->
                                                            new AvroSerde<>(DeadLetter.class)
                                                                    .fromBytes(r.value())
                                                                    .getReason()
                                                                    .toString())
                                            .toList())
                            .isEmpty();
                }
            }
        }
    }

    private static void publish(KafkaConnection connection, Topics topics) throws Exception {
        Random random = new Random(5);
        try (ActivationPublisher publisher =
                new ActivationPublisher(
                        connection,
                        PublisherConfig.of(
                                        topics.activations(), "synthetic", "wide", "wide-producer")
                                .with(PublisherConfig.ROWS_PER_RECORD, ROWS))) {
            float[] x = new float[ROWS * N];
            for (int r = 0; r < RECORDS; r++) {
                for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
                publisher.publish(x, ROWS, N, RowText.words(ROWS, "doc-" + r));
            }
            publisher.flush();
        }
    }
}
