package dev.aenstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.RetentionGap;
import dev.aenstream.avro.TrainerMetrics;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The monitor turns the trainer's facts into alerts: each once, with the cause they name. */
class TrainerFactsWatchTest {
    static {
        // The tests build TrainerMetrics with nested RetentionGaps before any serde exists.
        dev.aenstream.avro.AvroSerde.trustGeneratedClasses();
    }

    record Sent(AlertType type, List<Integer> ids, double value, String message, List<Float> h) {}

    private final List<Sent> sent = new ArrayList<>();
    private final AlertSink sink =
            AlertSink.into(
                    a ->
                            sent.add(
                                    new Sent(
                                            a.getAlertType(),
                                            a.getFeatureIds(),
                                            a.getValue(),
                                            a.getMessage(),
                                            a.getCrossLeverage())),
                    0);
    private final MonitorConfig config =
            MonitorConfig.builder()
                    .set(MonitorConfig.DEAD_FRACTION_PCT, 25)
                    .set(MonitorConfig.SATURATION, 0.5)
                    .build();

    @Test
    void newlyStarvingFeaturesAlertOnceWithTheirCrossLeverage() {
        TrainerFactsWatch.State s = TrainerFactsWatch.State.NONE;
        s = TrainerFactsWatch.check(facts(null, null, null), s, config, sink);
        assertThat(sent).as("nothing before a whole window was seen").isEmpty();

        s =
                TrainerFactsWatch.check(
                        facts(List.of(8, 9), List.of(0.9f, 0.05f), null), s, config, sink);
        assertThat(sent).extracting(Sent::type).containsExactly(AlertType.FEATURE_STARVING);
        assertThat(sent.get(0).ids()).containsExactly(8, 9);
        assertThat(sent.get(0).h()).containsExactly(0.9f, 0.05f);
        assertThat(sent.get(0).message())
                .contains("2 features did not fire in the trainer's last 100 tokens")
                .contains("1 shadowed by active atoms")
                .contains("1 uncovered");

        sent.clear();
        s =
                TrainerFactsWatch.check(
                        facts(List.of(8, 9), List.of(0.9f, 0.1f), null), s, config, sink);
        assertThat(sent).as("still starving: no repeat").isEmpty();

        // 9 fires again, 3 stops: only 3 is news; 9 may starve again later and is news then.
        s =
                TrainerFactsWatch.check(
                        facts(List.of(3, 8), List.of(0.2f, 0.9f), null), s, config, sink);
        assertThat(sent).singleElement().satisfies(a -> assertThat(a.ids()).containsExactly(3));
        sent.clear();
        s = TrainerFactsWatch.check(facts(List.of(3, 8, 9), null, null), s, config, sink);
        assertThat(sent)
                .singleElement()
                .satisfies(
                        a -> {
                            assertThat(a.ids()).containsExactly(9);
                            assertThat(a.h()).as("not measured").isNull();
                        });
    }

    @Test
    void saturationAlertsOnceAboveItsThresholdAndReArmsBelowEightyPercentOfIt() {
        TrainerFactsWatch.State s = TrainerFactsWatch.State.NONE;
        s = TrainerFactsWatch.check(saturation(0.6), s, config, sink);
        assertThat(sent).extracting(Sent::type).containsExactly(AlertType.WEIGHT_SATURATED);
        sent.clear();
        s = TrainerFactsWatch.check(saturation(0.45), s, config, sink); // above 0.4: stays raised
        s = TrainerFactsWatch.check(saturation(0.6), s, config, sink);
        assertThat(sent).isEmpty();
        s = TrainerFactsWatch.check(saturation(0.3), s, config, sink); // below 0.4: re-armed
        s = TrainerFactsWatch.check(saturation(0.6), s, config, sink);
        assertThat(sent).extracting(Sent::type).containsExactly(AlertType.WEIGHT_SATURATED);
        sent.clear();
        TrainerFactsWatch.check(saturation(null), TrainerFactsWatch.State.NONE, config, sink);
        assertThat(sent).as("no adaptive weights, nothing to watch").isEmpty();
    }

    @Test
    void eachRetentionGapIsOneAlertNamingWhatWasLost() {
        RetentionGap gap =
                RetentionGap.newBuilder()
                        .setTopic("aen.activations")
                        .setPartition(2)
                        .setFromOffset(10)
                        .setToOffset(15)
                        .build();
        TrainerFactsWatch.check(facts(null, null, gap), TrainerFactsWatch.State.NONE, config, sink);
        assertThat(sent)
                .singleElement()
                .satisfies(
                        a -> {
                            assertThat(a.type()).isEqualTo(AlertType.ROWS_LOST_TO_RETENTION);
                            assertThat(a.value()).isEqualTo(5);
                            assertThat(a.message())
                                    .contains("aen.activations-2 (offsets 10 to 14)")
                                    .contains("goes on from offset 15");
                        });
    }

    @Test
    void eachRangeSkippedForLagIsOneAlertNamingWhatWasSkipped() {
        RetentionGap skip =
                RetentionGap.newBuilder()
                        .setTopic("aen.activations")
                        .setPartition(0)
                        .setFromOffset(100)
                        .setToOffset(40_100)
                        .build();
        TrainerFactsWatch.check(
                base().setLagSkips(List.of(skip)).build(),
                TrainerFactsWatch.State.NONE,
                config,
                sink);
        assertThat(sent)
                .singleElement()
                .satisfies(
                        a -> {
                            assertThat(a.type()).isEqualTo(AlertType.ROWS_SKIPPED_FOR_LAG);
                            assertThat(a.value()).isEqualTo(40_000);
                            assertThat(a.message())
                                    .contains("aen.activations-0 (offsets 100 to 40099")
                                    .contains("skip-to-latest")
                                    .contains("goes on from offset 40100");
                        });
    }

    @Test
    void theStateSurvivesItsStore() {
        TrainerFactsWatch.State s =
                TrainerFactsWatch.check(
                        facts(List.of(1, 70_000), null, null),
                        TrainerFactsWatch.State.NONE,
                        config,
                        sink);
        s = TrainerFactsWatch.check(saturation(0.9), s, config, sink);
        TrainerFactsWatch.State back = TrainerFactsWatch.State.fromBytes(s.toBytes());
        assertThat(back).isEqualTo(s);
        assertThat(back.saturated()).isTrue();
        assertThat(back.starving().cardinality()).isEqualTo(2);
    }

    private static TrainerMetrics facts(List<Integer> starving, List<Float> h, RetentionGap gap) {
        return base().setStarvingFeatures(starving)
                .setStarvingLeverage(h)
                .setRetentionGaps(gap == null ? List.of() : List.of(gap))
                .build();
    }

    private static TrainerMetrics saturation(Double share) {
        return base().setWeightSaturation(share).build();
    }

    private static TrainerMetrics.Builder base() {
        return TrainerMetrics.newBuilder()
                .setSaeId("aen")
                .setArch("aen")
                .setVersion(1)
                .setStep(100)
                .setTokens(6400)
                .setMse(0)
                .setL1(0)
                .setL2(0)
                .setLoss(0)
                .setL0(10)
                .setFve(0.5)
                .setDeadPct(20)
                .setWarmupFactor(1)
                .setTokensPerS(1000)
                .setConsumerLag(0)
                .setTimestampMs(0)
                .setWindowTokens(100);
    }
}
