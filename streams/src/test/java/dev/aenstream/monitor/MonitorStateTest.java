package dev.aenstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.FeatureStats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MonitorStateTest {
    static FeatureStats stats(long tokens, long... fires) {
        int d = fires.length;
        ByteBuffer f = ByteBuffer.allocate(d * 8).order(ByteOrder.LITTLE_ENDIAN);
        f.asLongBuffer().put(fires);
        return FeatureStats.newBuilder()
                .setSaeId("aen")
                .setVersion(1)
                .setWindowStartMs(0)
                .setWindowEndMs(1)
                .setTokens(tokens)
                .setD(d)
                .setFireCounts(f)
                .setActivationSums(ByteBuffer.allocate(d * 8))
                .setActivationMax(ByteBuffer.allocate(d * 4))
                .setL0Sum(0)
                .setFve(null)
                .build();
    }

    @Test
    void aFeatureAlternatingAroundTheRareThresholdRaisesAtMostOneAlertPerHysteresisPeriod() {
        long hysteresis = 5_000;
        MonitorConfig config =
                MonitorConfig.builder()
                        .set(MonitorConfig.DEAD_TOKENS, 1_000_000_000)
                        .set(MonitorConfig.RARE_DENSITY, 0.01)
                        .set(MonitorConfig.REARM_FACTOR, 1.0)
                        .set(MonitorConfig.DENSITY_HORIZON_TOKENS, 300)
                        .set(MonitorConfig.MIN_TOKENS, 0)
                        .set(MonitorConfig.HYSTERESIS_TOKENS, hysteresis)
                        .set(MonitorConfig.DEAD_FRACTION_PCT, 50)
                        .set(MonitorConfig.SATURATION, 0.5)
                        .set(MonitorConfig.WINDOW_MS, 1000)
                        .set(MonitorConfig.GRACE_MS, 0)
                        .set(MonitorConfig.FVE_ROW_STRIDE, 1)
                        .build();
        MonitorState state = new MonitorState(2);
        List<Long> alertedAt = new ArrayList<>();
        long tokens = 0;
        for (int w = 0; w < 500; w++) {
            // Feature 0 fires 0 or 2 times in 100 tokens: its density swings around 0.01. Feature 1
            // is healthy.
            tokens += 100;
            for (Alert a : state.update("aen", stats(100, w % 2 == 0 ? 0 : 2, 50), config, 0)) {
                assertThat(a.getFeatureIds()).doesNotContain(1);
                if (a.getFeatureIds().contains(0)) alertedAt.add(tokens);
            }
        }
        assertThat(alertedAt).isNotEmpty();
        for (int i = 1; i < alertedAt.size(); i++) {
            assertThat(alertedAt.get(i) - alertedAt.get(i - 1))
                    .as("alerts at %s", alertedAt)
                    .isGreaterThanOrEqualTo(hysteresis);
        }
        assertThat(alertedAt.size()).isLessThanOrEqualTo(1 + (int) (50_000 / hysteresis));
    }

    @Test
    void theBandKeepsAFeatureOnTheEdgeFromFlapping() {
        MonitorConfig config =
                MonitorConfig.builder()
                        .set(MonitorConfig.DEAD_TOKENS, 1_000_000_000)
                        .set(MonitorConfig.RARE_DENSITY, 0.01)
                        .set(MonitorConfig.REARM_FACTOR, 2.0)
                        .set(MonitorConfig.DENSITY_HORIZON_TOKENS, 300)
                        .set(MonitorConfig.MIN_TOKENS, 0)
                        .set(MonitorConfig.HYSTERESIS_TOKENS, 0)
                        .set(MonitorConfig.DEAD_FRACTION_PCT, 50)
                        .set(MonitorConfig.SATURATION, 0.5)
                        .set(MonitorConfig.WINDOW_MS, 1000)
                        .set(MonitorConfig.GRACE_MS, 0)
                        .set(MonitorConfig.FVE_ROW_STRIDE, 1)
                        .build();
        MonitorState state = new MonitorState(1);
        int alerts = 0;
        for (int w = 0; w < 500; w++)
            alerts += state.update("aen", stats(100, w % 2 == 0 ? 0 : 2), config, 0).size();
        assertThat(alerts)
                .as("once rare, a density that never reaches twice the threshold stays rare")
                .isEqualTo(1);
    }

    @Test
    void deadFeaturesReviveAndTheModelLevelAlertFollowsTheDeadShare() {
        MonitorConfig config =
                MonitorConfig.builder()
                        .set(MonitorConfig.DEAD_TOKENS, 1_000)
                        .set(MonitorConfig.RARE_DENSITY, 1e-6)
                        .set(MonitorConfig.REARM_FACTOR, 2)
                        .set(MonitorConfig.DENSITY_HORIZON_TOKENS, 10_000)
                        .set(MonitorConfig.MIN_TOKENS, 0)
                        .set(MonitorConfig.HYSTERESIS_TOKENS, 0)
                        .set(MonitorConfig.DEAD_FRACTION_PCT, 40)
                        .set(MonitorConfig.SATURATION, 0.5)
                        .set(MonitorConfig.WINDOW_MS, 1000)
                        .set(MonitorConfig.GRACE_MS, 0)
                        .set(MonitorConfig.FVE_ROW_STRIDE, 1)
                        .build();
        MonitorState state = new MonitorState(4);
        List<AlertType> types = new ArrayList<>();
        for (int w = 0; w < 12; w++)
            state.update("aen", stats(100, 5, 5, 0, 0), config, 0)
                    .forEach(a -> types.add(a.getAlertType()));
        assertThat(types)
                .containsExactlyInAnyOrder(AlertType.FEATURE_DEAD, AlertType.DEAD_FRACTION_HIGH);
        assertThat(state.deadPct()).isEqualTo(50.0);
        types.clear();
        state.update("aen", stats(100, 5, 5, 1, 1), config, 0)
                .forEach(a -> types.add(a.getAlertType()));
        assertThat(types).containsExactly(AlertType.FEATURE_REVIVED);
        assertThat(MonitorState.fromBytes(state.toBytes()).deadPct()).isZero();
    }

    @Test
    void ahundredThousandFeaturesDyingAtOnceMakeAHandfulOfRecords() {
        int d = 100_000;
        MonitorConfig config =
                MonitorConfig.builder()
                        .set(MonitorConfig.DEAD_TOKENS, 1_000)
                        .set(MonitorConfig.RARE_DENSITY, 1e-6)
                        .set(MonitorConfig.REARM_FACTOR, 2)
                        .set(MonitorConfig.DENSITY_HORIZON_TOKENS, 10_000)
                        .set(MonitorConfig.MIN_TOKENS, 0)
                        .set(MonitorConfig.HYSTERESIS_TOKENS, 0)
                        .set(MonitorConfig.DEAD_FRACTION_PCT, 99)
                        .set(MonitorConfig.SATURATION, 0.5)
                        .set(MonitorConfig.WINDOW_MS, 1000)
                        .set(MonitorConfig.GRACE_MS, 0)
                        .set(MonitorConfig.FVE_ROW_STRIDE, 1)
                        .build();
        MonitorState state = new MonitorState(d);
        List<Alert> alerts = state.update("big", stats(2_000, new long[d]), config, 0);
        assertThat(alerts)
                .hasSizeBetween(2, 5)
                .allSatisfy(
                        a ->
                                assertThat(a.getAlertType())
                                        .isIn(
                                                AlertType.FEATURE_DEAD,
                                                AlertType.DEAD_FRACTION_HIGH));
        assertThat(alerts.stream().mapToInt(a -> a.getFeatureIds().size()).sum()).isEqualTo(d);
    }

    @Test
    void weightSaturationFromTrainerMetricsAlertsOnceAndReArmsBelowEightyPercent()
            throws Exception {
        dev.aenstream.avro.Topics topics = dev.aenstream.avro.Topics.defaults();
        java.util.Properties props = new java.util.Properties();
        props.put(org.apache.kafka.streams.StreamsConfig.APPLICATION_ID_CONFIG, "saturation-test");
        props.put(org.apache.kafka.streams.StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        var topology =
                dev.aenstream.encode.EncodeTopology.build(
                        topics,
                        new dev.aenstream.encode.SaeRegistry(),
                        new dev.aenstream.encode.EncodeStats(),
                        MonitorConfig.defaults());
        try (var driver = new org.apache.kafka.streams.TopologyTestDriver(topology, props)) {
            var in =
                    driver.createInputTopic(
                            topics.trainerMetrics(),
                            new org.apache.kafka.common.serialization.ByteArraySerializer(),
                            new org.apache.kafka.common.serialization.ByteArraySerializer());
            var out =
                    driver.createOutputTopic(
                            topics.alerts(),
                            new org.apache.kafka.common.serialization.StringDeserializer(),
                            new dev.aenstream.avro.AvroSerde<>(Alert.class));
            var serde = new dev.aenstream.avro.AvroSerde<>(dev.aenstream.avro.TrainerMetrics.class);
            in.pipeInput(
                    new byte[0], new byte[] {1, 2, 3}); // unreadable: skipped, the stream goes on
            for (double s : new double[] {0.2, 0.6, 0.7, 0.45, 0.6, 0.3, 0.9}) {
                var m =
                        dev.aenstream.avro.TrainerMetrics.newBuilder()
                                .setSaeId("aen")
                                .setArch("aen")
                                .setVersion(1)
                                .setStep(1)
                                .setTokens(1)
                                .setMse(0)
                                .setL1(0)
                                .setL2(0)
                                .setLoss(0)
                                .setL0(0)
                                .setFve(0)
                                .setDeadPct(0)
                                .setWeightSaturation(s)
                                .setWarmupFactor(1)
                                .setTokensPerS(0)
                                .setConsumerLag(0)
                                .setTimestampMs(0)
                                .build();
                in.pipeInput(
                        "aen".getBytes(java.nio.charset.StandardCharsets.UTF_8), serde.toBytes(m));
            }
            // Raised at 0.6; 0.45 is above 80% of 0.5, so 0.6 again is no news; 0.3 re-arms; 0.9
            // raises again.
            assertThat(out.readValuesToList())
                    .extracting(Alert::getAlertType, Alert::getValue)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(AlertType.WEIGHT_SATURATED, 0.6),
                            org.assertj.core.groups.Tuple.tuple(AlertType.WEIGHT_SATURATED, 0.9));
        }
    }
}
