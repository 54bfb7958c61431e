package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SaeState;
import dev.aenstream.avro.Topics;
import dev.aenstream.models.ModelFollower;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.models.ModelTrust;
import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.monitor.SaeStates;
import dev.aenstream.monitor.StatisticsParts;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.TopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One dictionary served whole (S = 1) and in four shards (S = 4, four applications following the
 * same models topic) over the same rows, through a real broker: the shards' codes merged by a
 * reader equal the whole encoder's, and their statistics and monitor views merged equal the whole
 * one's.
 */
class ShardedEncodeIT {
    private static final int N = 64;

    /** Not a multiple of the shard count: shards have 257 and 258 features. */
    private static final int D = 1030;

    /** Below the features that fire in a row, so rows are cut and the totals must be exact. */
    private static final int K_MAX = 16;

    private static final int SHARDS = 4;
    private static final int RECORDS = 24;
    private static final int ROWS = 64;
    private static final long WINDOW_MS = 15_000;

    @TempDir Path stateDir;

    @Test
    void fourShardsMergeIntoTheWholeDictionarysCodesStatisticsAndState() throws Exception {
        Topics topics = new Topics("sh.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1)) {
            String bootstrap = cluster.bootstrapServers();
            KafkaConnection connection = KafkaConnection.of(bootstrap);
            try (Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
                // One partition, one task per application: each window is flushed once per
                // application, so the monitors see the same sequence of statistics.
                dev.aenstream.topics.TopicProvisioner.ensure(
                        admin, topics, new dev.aenstream.topics.TopicSettings(1, (short) 1));
            }
            SaeParameters params = SaeParameters.initialise(N, D, 41);
            // Every seventh feature, in every shard, can never fire: the monitors must call the
            // same features dead.
            for (int j = 0; j < D; j += 7) params.bEnc()[j] = -1e4f;
            try (ModelPublisher publisher = new ModelPublisher(connection, topics.models())) {
                publisher.publish(
                        new ModelPublisher.Version(
                                "sharded", 1, "aen", N, D, K_MAX, Normalisation.NONE, Map.of()),
                        EncoderGraph.packaged(
                                EncoderGraph.Weights.of(params).withDecoder(SaeDecoder.of(params)),
                                new EncoderSpec(K_MAX, false),
                                "sae_encoder"));
            }

            MonitorConfig monitor =
                    MonitorConfig.defaults().toBuilder()
                            .set(MonitorConfig.WINDOW_MS, WINDOW_MS)
                            .set(MonitorConfig.MIN_TOKENS, 0)
                            .set(MonitorConfig.DEAD_TOKENS, ROWS * RECORDS / 2)
                            .build();
            List<AutoCloseable> running = new ArrayList<>();
            try {
                for (int s = 0; s <= SHARDS; s++) {
                    // s == SHARDS: the whole dictionary.
                    DictionaryShard shard =
                            s == SHARDS ? DictionaryShard.WHOLE : new DictionaryShard(s, SHARDS);
                    SaeRegistry registry = new SaeRegistry();
                    ModelFollower follower =
                            new ModelFollower(
                                            connection,
                                            topics,
                                            registry,
                                            null,
                                            N,
                                            ModelTrust.anyVersion(),
                                            Device.CPU,
                                            1,
                                            shard)
                                    .start();
                    running.add(follower);
                    assertThat(follower.awaitServing(1, Duration.ofSeconds(60))).isTrue();
                    assertThat(registry.serving().get(0).encoder().d()).isEqualTo(shard.width(D));
                    EncodeApp app =
                            new EncodeApp(
                                    connection,
                                    EncodeConfig.defaults(topics, stateDir.resolve("s" + s))
                                            .toBuilder()
                                            .set(EncodeConfig.APPLICATION_ID, "sh-encode")
                                            .shard(shard)
                                            .monitor(monitor)
                                            .build(),
                                    registry);
                    running.add(app);
                    app.start();
                }
                for (AutoCloseable c : running)
                    if (c instanceof EncodeApp app)
                        assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();

                long windowStart = produce(bootstrap, topics);
                compareCodes(bootstrap, topics);
                compareStatistics(bootstrap, topics, windowStart);
                compareStates(bootstrap, topics);
            } finally {
                for (int i = running.size() - 1; i >= 0; i--) running.get(i).close();
            }
        }
    }

    /**
     * Publishes the rows, every record stamped at the start of the next window (so all of them fall
     * in one window that ends a known time from now); returns that window's start.
     */
    private static long produce(String bootstrap, Topics topics) throws Exception {
        String staging = "sh.staging";
        try (ActivationPublisher publisher =
                new ActivationPublisher(
                        KafkaConnection.of(bootstrap),
                        PublisherConfig.of(staging, "synthetic", "gaussian", "sh-producer")
                                .with(PublisherConfig.ROWS_PER_RECORD, ROWS))) {
            Random random = new Random(3);
            float[] x = new float[ROWS * N];
            for (int r = 0; r < RECORDS; r++) {
                for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
                publisher.publish(x, ROWS, N);
            }
            publisher.flush();
        }
        List<ConsumerRecord<byte[], byte[]>> batches =
                TopicReader.read(
                        bootstrap, staging, true, RECORDS, Duration.ofSeconds(30), Duration.ZERO);
        assertThat(batches).hasSize(RECORDS);
        // The topic is stamped by the broker: send them all just after a window begins, so that
        // they land in one window.
        long windowStart = (System.currentTimeMillis() / WINDOW_MS + 1) * WINDOW_MS;
        Thread.sleep(Math.max(0, windowStart + 200 - System.currentTimeMillis()));
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
            for (ConsumerRecord<byte[], byte[]> b : batches)
                producer.send(
                        new ProducerRecord<>(
                                topics.activations(), 0, windowStart + 1, b.key(), b.value()));
        }
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.read(
                        bootstrap,
                        topics.activations(),
                        true,
                        RECORDS,
                        Duration.ofSeconds(30),
                        Duration.ZERO))
            assertThat(r.timestamp() / WINDOW_MS * WINDOW_MS)
                    .as("the broker stamped every batch in one window")
                    .isEqualTo(windowStart);
        return windowStart;
    }

    private static void compareCodes(String bootstrap, Topics topics) {
        AvroSerde<FeatureCodes> serde = new AvroSerde<>(FeatureCodes.class);
        Map<Long, SparseCodes> whole = new HashMap<>();
        Map<Long, SparseCodes> merged = new HashMap<>();
        ShardedCodes reader = new ShardedCodes(K_MAX, 1_000);
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.read(
                        bootstrap,
                        topics.codes(),
                        true,
                        RECORDS * (SHARDS + 1),
                        Duration.ofSeconds(60),
                        Duration.ofSeconds(1))) {
            FeatureCodes c = serde.fromBytes(r.value());
            assertThat(c.getD()).isEqualTo(D);
            Map<Long, SparseCodes> into = c.getShards() == 1 ? whole : merged;
            reader.add(c)
                    .ifPresent(
                            b ->
                                    assertThat(into.put(b.sequence(), b.codes()))
                                            .as("one batch per sequence")
                                            .isNull());
        }
        assertThat(whole).hasSize(RECORDS);
        assertThat(merged).hasSize(RECORDS);
        assertThat(reader.pending()).isZero();
        int cut = 0;
        for (long seq : whole.keySet()) {
            SparseCodes w = whole.get(seq);
            SparseCodes m = merged.get(seq);
            assertThat(m.activeCounts()).isEqualTo(w.activeCounts());
            for (int row = 0; row < ROWS; row++) {
                if (w.activeCounts()[row] > K_MAX) cut++;
                float[] a = w.denseRow(row);
                float[] b = m.denseRow(row);
                for (int j = 0; j < D; j++) {
                    assertThat(b[j] > 0)
                            .as("feature %d of row %d fires", j, row)
                            .isEqualTo(a[j] > 0);
                    assertThat((double) b[j])
                            .isCloseTo(a[j], org.assertj.core.data.Offset.offset(1e-5));
                }
            }
        }
        assertThat(cut).as("rows cut at k_max").isGreaterThan(RECORDS * ROWS / 2);
    }

    private static void compareStatistics(String bootstrap, Topics topics, long windowStart) {
        AvroSerde<FeatureStats> serde = new AvroSerde<>(FeatureStats.class);
        Map<String, FeatureStats> latest = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                onePerApplication(bootstrap, topics.featureStats())) {
            FeatureStats s = serde.fromBytes(r.value());
            if (s.getWindowStartMs() == windowStart)
                latest.put(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), s);
        }
        FeatureStats whole = latest.get("sharded/v1@" + windowStart);
        assertThat(whole).as("the whole dictionary's window in %s", latest.keySet()).isNotNull();
        List<FeatureStats> shards = new ArrayList<>();
        for (int s = 0; s < SHARDS; s++) {
            FeatureStats part = latest.get("sharded#" + s + "/" + SHARDS + "/v1@" + windowStart);
            assertThat(part).as("shard %d's window in %s", s, latest.keySet()).isNotNull();
            assertThat(part.getFve()).isNull();
            shards.add(part);
        }
        FeatureStats merged = StatisticsParts.whole(shards);
        assertThat(whole.getTokens()).isEqualTo((long) RECORDS * ROWS);
        assertThat(merged.getTokens()).isEqualTo(whole.getTokens());
        assertThat(merged.getD()).isEqualTo(D);
        assertThat(merged.getL0Sum()).isEqualTo(whole.getL0Sum());
        assertThat(FeatureAccumulator.fireCounts(merged))
                .isEqualTo(FeatureAccumulator.fireCounts(whole));
        double[] sumsWhole = doubles(whole.getActivationSums());
        double[] sumsMerged = doubles(merged.getActivationSums());
        for (int j = 0; j < D; j++)
            assertThat(sumsMerged[j])
                    .isCloseTo(sumsWhole[j], org.assertj.core.data.Offset.offset(1e-3));
        assertThat(whole.getFve()).as("the whole encoder has its decoder").isNotNull();
    }

    private static void compareStates(String bootstrap, Topics topics) {
        AvroSerde<SaeState> serde = new AvroSerde<>(SaeState.class);
        Map<String, SaeState> latest = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : onePerApplication(bootstrap, topics.saeState())) {
            SaeState s = serde.fromBytes(r.value());
            latest.put(SaeStates.key(s.getSaeId(), s.getShard(), s.getShards()), s);
        }
        assertThat(latest).hasSize(SHARDS + 1);
        List<SaeState> merged = SaeStates.merged(latest.values());
        assertThat(merged).as("two views of the same SAE").hasSize(2);
        SaeState whole = latest.get("sharded");
        for (SaeState m : merged) {
            assertThat(m.getD()).isEqualTo(D);
            assertThat(m.getTokens()).isEqualTo(whole.getTokens());
            assertThat(m.getDeadPct()).isCloseTo(whole.getDeadPct(), within());
            assertThat(m.getRarePct()).isCloseTo(whole.getRarePct(), within());
            assertThat(m.getL0()).isCloseTo(whole.getL0(), within());
            assertThat(m.getDensityHistogram()).isEqualTo(whole.getDensityHistogram());
        }
        assertThat(whole.getDeadPct()).as("some features starved in the test").isPositive();
    }

    /**
     * The records of a topic the five applications each write once the window closes: each flushes
     * it at its first wall-clock punctuation after the window's end, which comes up to a window
     * later.
     */
    private static List<ConsumerRecord<byte[], byte[]>> onePerApplication(
            String bootstrap, String topic) {
        return TopicReader.read(
                bootstrap,
                topic,
                true,
                SHARDS + 1,
                Duration.ofMillis(3 * WINDOW_MS + 30_000),
                Duration.ofSeconds(2));
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1e-9);
    }

    private static double[] doubles(java.nio.ByteBuffer bytes) {
        double[] out = new double[bytes.remaining() / 8];
        bytes.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(out);
        return out;
    }
}
