package dev.aenstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.RetentionGap;
import dev.aenstream.avro.SaeState;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.encode.EncodeStats;
import dev.aenstream.encode.EncodeTopology;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * The whole encode-and-monitor topology on the synthetic stream, with an SAE built so that chosen
 * features never fire or fire rarely: exactly those are reported, and after a swap to a version in
 * which they fire they are reported revived; a shift in the stream is reported as drift on the
 * features it moves.
 */
class StarvationTopologyTest {
    private static final int N = 32;
    private static final int D = 24;
    private static final Set<Integer> DEAD = Set.of(0, 1, 2);
    private static final Set<Integer> RARE = Set.of(3, 4);
    private static final int ROWS = 256;

    /** Healthy features fire on every row; dead ones never; rare ones on about 0.2% of rows. */
    private static SaeParameters sae(double rareBias, boolean starving) {
        SaeParameters p = SaeParameters.initialise(N, D, 1);
        Arrays.fill(p.bDec(), 0f);
        for (int j = 0; j < D; j++) {
            for (int i = 0; i < N; i++) p.wEnc()[j * N + i] *= 0.01f;
            p.bEnc()[j] = 1f;
        }
        if (starving) {
            for (int j : DEAD) p.bEnc()[j] = -1e4f;
            for (int j : RARE) {
                Arrays.fill(p.wEnc(), j * N, (j + 1) * N, 0f);
                p.wEnc()[j * N] = 1f;
                p.bEnc()[j] = (float) -rareBias;
            }
        }
        return p;
    }

    /**
     * The 99.8% quantile of the first coordinate of the stream: a bias that makes a feature fire on
     * 0.2% of rows.
     */
    private static double rareBias(SpikedConfig config) {
        SpikedGenerator g = new SpikedGenerator(config);
        int rows = 100_000;
        float[] x = new float[rows * N];
        g.batch(-1, x, rows, null, null);
        double[] first = new double[rows];
        for (int r = 0; r < rows; r++) first[r] = x[r * N];
        Arrays.sort(first);
        return first[(int) (rows * 0.998)];
    }

    @Test
    void exactlyTheStarvingFeaturesAreReportedAndTheyReviveAfterASwap() throws Exception {
        Topics topics = Topics.defaults();
        SpikedConfig spiked =
                SpikedConfig.builder()
                        .set(SpikedConfig.N, N)
                        .set(SpikedConfig.ATOMS, 64)
                        .set(SpikedConfig.K, 4)
                        .set(SpikedConfig.RHO, 0.3)
                        .set(SpikedConfig.SEED, 21)
                        .build();
        MonitorConfig config =
                MonitorConfig.builder()
                        .set(MonitorConfig.DEAD_TOKENS, 20_000)
                        .set(MonitorConfig.RARE_DENSITY, 0.01)
                        .set(MonitorConfig.REARM_FACTOR, 2)
                        .set(MonitorConfig.DENSITY_HORIZON_TOKENS, 20_000)
                        .set(MonitorConfig.MIN_TOKENS, 5_000)
                        .set(MonitorConfig.HYSTERESIS_TOKENS, 0)
                        .set(MonitorConfig.DEAD_FRACTION_PCT, 50)
                        .set(MonitorConfig.SATURATION, 0.5)
                        .set(MonitorConfig.WINDOW_MS, 1_000)
                        .set(MonitorConfig.GRACE_MS, 60_000)
                        .set(MonitorConfig.FVE_ROW_STRIDE, 1)
                        .build();
        SaeRegistry registry = new SaeRegistry();
        AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
        SaeParameters healthy = sae(0, false);
        try (SaeEncoder v1 =
                        SaeEncoder.open(
                                sae(rareBias(spiked), true),
                                new EncoderSpec(D, false),
                                Device.CPU,
                                1);
                SaeEncoder v2 = SaeEncoder.open(healthy, new EncoderSpec(D, false), Device.CPU, 1);
                TopologyTestDriver driver = driver(topics, registry, config)) {
            registry.put(new ServingSae("aen", 1, v1, "starving"));
            TestInputTopic<byte[], byte[]> in = input(driver, topics.activations());
            var alerts = alerts(driver, topics);
            var states =
                    driver.createOutputTopic(
                            topics.saeState(),
                            new StringDeserializer(),
                            new AvroSerde<>(SaeState.class));
            var stats =
                    driver.createOutputTopic(
                            topics.featureStats(),
                            new StringDeserializer(),
                            new AvroSerde<>(FeatureStats.class));
            SpikedGenerator generator = new SpikedGenerator(spiked);
            float[] x = new float[ROWS * N];
            long ts = 0;
            long sequence = 0;
            for (int r = 0; r < 400; r++) { // 102,400 tokens with version 1
                generator.next(x, 0, ROWS);
                in.pipeInput(
                        ("p/" + sequence).getBytes(StandardCharsets.UTF_8),
                        serde.toBytes(batch(x, sequence++)),
                        ts += 250);
            }
            Map<AlertType, Set<Integer>> before = featuresByType(alerts.readValuesToList());
            assertThat(before.get(AlertType.FEATURE_DEAD)).isEqualTo(DEAD);
            assertThat(before.get(AlertType.FEATURE_RARE)).isEqualTo(RARE);
            assertThat(before.keySet())
                    .containsOnly(AlertType.FEATURE_DEAD, AlertType.FEATURE_RARE);

            registry.put(
                    new ServingSae(
                            "aen",
                            2,
                            v2,
                            "every feature fires",
                            dev.aenstream.sae.SaeDecoder.of(healthy),
                            false));
            for (int r = 0; r < 200; r++) {
                generator.next(x, 0, ROWS);
                in.pipeInput(
                        ("p/" + sequence).getBytes(StandardCharsets.UTF_8),
                        serde.toBytes(batch(x, sequence++)),
                        ts += 250);
            }
            Map<AlertType, Set<Integer>> after = featuresByType(alerts.readValuesToList());
            Set<Integer> starving = new TreeSet<>(DEAD);
            starving.addAll(RARE);
            assertThat(after).containsOnlyKeys(AlertType.FEATURE_REVIVED);
            assertThat(after.get(AlertType.FEATURE_REVIVED)).isEqualTo(starving);

            SaeState last = states.readValuesToList().stream().reduce((a, b) -> b).orElseThrow();
            assertThat(last.getVersion()).isEqualTo(2);
            assertThat(last.getDeadPct()).isZero();
            // Merged windows count every token: windows are flushed as event time passes them.
            Map<String, FeatureStats> windows = new HashMap<>();
            stats.readKeyValuesToList().forEach(kv -> windows.put(kv.key, kv.value));
            long counted = windows.values().stream().mapToLong(FeatureStats::getTokens).sum();
            // Version 1 was served without its decoder, version 2 with it: only its windows know
            // their fve.
            assertThat(windows.values())
                    .filteredOn(w -> w.getVersion() == 1)
                    .allSatisfy(w -> assertThat(w.getFve()).isNull());
            assertThat(windows.values())
                    .filteredOn(w -> w.getVersion() == 2)
                    .isNotEmpty()
                    .allSatisfy(w -> assertThat(w.getFve()).isNotNull().isLessThanOrEqualTo(1.0));
            assertThat(counted)
                    .isLessThanOrEqualTo(sequence * ROWS)
                    .isGreaterThan((sequence - 8) * ROWS);
        }
    }

    @Test
    void aShiftInTheStreamIsReportedAsDriftOnTheFeaturesItMovesAndNothingBefore() throws Exception {
        Topics topics = Topics.defaults();
        SpikedConfig spiked =
                SpikedConfig.builder()
                        .set(SpikedConfig.N, N)
                        .set(SpikedConfig.ATOMS, 64)
                        .set(SpikedConfig.K, 4)
                        .set(SpikedConfig.SEED, 23)
                        .build();
        MonitorConfig config =
                MonitorConfig.builder()
                        .set(MonitorConfig.DRIFT_REFERENCE_TOKENS, 20_000L)
                        .set(MonitorConfig.DRIFT_BLOCK_TOKENS, 5_000L)
                        .set(MonitorConfig.WINDOW_MS, 1_000)
                        .build();
        SaeRegistry registry = new SaeRegistry();
        AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Metrics.addRegistry(meters);
        try (SaeEncoder v1 =
                        SaeEncoder.open(
                                sae(rareBias(spiked), true),
                                new EncoderSpec(D, false),
                                Device.CPU,
                                1);
                TopologyTestDriver driver = driver(topics, registry, config)) {
            registry.put(new ServingSae("drifting", 1, v1, "rare features 3 and 4"));
            TestInputTopic<byte[], byte[]> in = input(driver, topics.activations());
            var alerts = alerts(driver, topics);
            SpikedGenerator generator = new SpikedGenerator(spiked);
            SplittableRandom planted = new SplittableRandom(7);
            float[] x = new float[ROWS * N];
            long ts = 0;
            long sequence = 0;
            for (int b = 0; b < 400; b++) { // the reference, then 82,400 unchanged tokens
                generator.next(x, 0, ROWS);
                in.pipeInput(
                        ("p/" + sequence).getBytes(StandardCharsets.UTF_8),
                        serde.toBytes(batch(x, sequence++)),
                        ts += 250);
            }
            assertThat(alerts.readValuesToList())
                    .extracting(Alert::getAlertType)
                    .doesNotContain(AlertType.FEATURE_DRIFT);
            // From here, 2% of rows carry the direction features 3 and 4 read: 0.2% -> ~2.2%.
            List<Alert> drift = new ArrayList<>();
            for (int b = 0; b < 100 && drift.isEmpty(); b++) {
                generator.next(x, 0, ROWS);
                for (int r = 0; r < ROWS; r++) if (planted.nextDouble() < 0.02) x[r * N] += 10f;
                in.pipeInput(
                        ("p/" + sequence).getBytes(StandardCharsets.UTF_8),
                        serde.toBytes(batch(x, sequence++)),
                        ts += 250);
                alerts.readValuesToList().stream()
                        .filter(a -> a.getAlertType() == AlertType.FEATURE_DRIFT)
                        .forEach(drift::add);
            }
            assertThat(drift).as("the shift is detected").isNotEmpty();
            Alert first = drift.get(0);
            assertThat(first.getFeatureIds()).containsExactlyInAnyOrder(3, 4);
            for (int i = 0; i < first.getFeatureIds().size(); i++)
                assertThat(first.getDensities().get(i))
                        .isGreaterThan(2 * first.getReferenceDensities().get(i));
            assertThat(first.getDriftScore()).isPositive();
            assertThat(first.getMessage()).contains("features changed density").contains(" up ");
            assertThat(meters.get("aen.drift.score").tag("sae_id", "drifting").gauge().value())
                    .isPositive();
        } finally {
            Metrics.removeRegistry(meters);
        }
    }

    private static ActivationBatch batch(float[] x, long sequence) {
        return ActivationBatch.newBuilder()
                .setSourceModel("synthetic")
                .setHookPoint("spiked")
                .setRows(ROWS)
                .setN(N)
                .setDtype(Dtype.FLOAT32)
                .setNormalisation(Normalisation.NONE)
                .setProducerId("p")
                .setSequence(sequence)
                .setPayload(Matrices.encode(x, 0, ROWS, N, Dtype.FLOAT32))
                .setTimestampMs(0)
                .build();
    }

    private static Map<AlertType, Set<Integer>> featuresByType(List<Alert> alerts) {
        Map<AlertType, Set<Integer>> out = new HashMap<>();
        for (Alert a : alerts)
            out.computeIfAbsent(a.getAlertType(), t -> new TreeSet<>()).addAll(a.getFeatureIds());
        return out;
    }

    @Test
    void theTrainersFactsBecomeTheMonitorsAlertsOnce() throws Exception {
        Topics topics = Topics.defaults();
        MonitorConfig config =
                MonitorConfig.builder()
                        .set(MonitorConfig.DEAD_FRACTION_PCT, 50)
                        .set(MonitorConfig.SATURATION, 0.5)
                        .build();
        AvroSerde<TrainerMetrics> metrics = new AvroSerde<>(TrainerMetrics.class);
        try (TopologyTestDriver driver = driver(topics, new SaeRegistry(), config)) {
            TestInputTopic<byte[], byte[]> in = input(driver, topics.trainerMetrics());
            var alerts = alerts(driver, topics);
            RetentionGap gap =
                    RetentionGap.newBuilder()
                            .setTopic(topics.activations())
                            .setPartition(0)
                            .setFromOffset(3)
                            .setToOffset(7)
                            .build();
            TrainerMetrics facts =
                    TrainerMetrics.newBuilder()
                            .setSaeId("aen")
                            .setArch("aen")
                            .setVersion(4)
                            .setStep(500)
                            .setTokens(32_000)
                            .setMse(0.1)
                            .setL1(1)
                            .setL2(1)
                            .setLoss(0.2)
                            .setL0(16)
                            .setFve(0.6)
                            .setDeadPct(25)
                            .setWeightSaturation(0.7)
                            .setWarmupFactor(1)
                            .setTokensPerS(1000)
                            .setConsumerLag(0)
                            .setTimestampMs(0)
                            .setStarvingFeatures(List.of(2, 5))
                            .setStarvingLeverage(List.of(0.8f, 0.1f))
                            .setWindowTokens(10_000)
                            .setRetentionGaps(List.of(gap))
                            .build();
            byte[] key = "aen".getBytes(StandardCharsets.UTF_8);
            in.pipeInput(key, metrics.toBytes(facts));
            facts.setRetentionGaps(List.of());
            in.pipeInput(key, metrics.toBytes(facts)); // the same state, no new gap: no alert
            List<Alert> raised = alerts.readValuesToList();
            assertThat(raised)
                    .extracting(Alert::getAlertType)
                    .containsExactlyInAnyOrder(
                            AlertType.WEIGHT_SATURATED,
                            AlertType.FEATURE_STARVING,
                            AlertType.ROWS_LOST_TO_RETENTION);
            assertThat(raised)
                    .filteredOn(a -> a.getAlertType() == AlertType.FEATURE_STARVING)
                    .singleElement()
                    .satisfies(
                            a -> {
                                assertThat(a.getFeatureIds()).containsExactly(2, 5);
                                assertThat(a.getCrossLeverage()).containsExactly(0.8f, 0.1f);
                                assertThat(a.getVersion()).isEqualTo(4);
                            });
        }
    }

    /** The whole encode application's topology under the test driver. */
    private static TopologyTestDriver driver(
            Topics topics, SaeRegistry registry, MonitorConfig config) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "monitor-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        return new TopologyTestDriver(
                EncodeTopology.build(topics, registry, new EncodeStats(), config), props);
    }

    private static TestInputTopic<byte[], byte[]> input(TopologyTestDriver driver, String topic) {
        return driver.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static TestOutputTopic<String, Alert> alerts(TopologyTestDriver driver, Topics topics) {
        return driver.createOutputTopic(
                topics.alerts(), new StringDeserializer(), new AvroSerde<>(Alert.class));
    }
}
