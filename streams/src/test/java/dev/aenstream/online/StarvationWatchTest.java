package dev.aenstream.online;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AlertType;
import dev.aenstream.monitor.AlertSink;
import dev.aenstream.monitor.ModelAlertThresholds;
import dev.aenstream.sae.train.FeatureWindow;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StarvationWatchTest {
    record Sent(AlertType type, List<Integer> ids, double value, String message, List<Float> h) {}

    private final List<Sent> sent = new ArrayList<>();
    private final AlertSink sink =
            (type, severity, saeId, version, ids, value, threshold, message, leverage) ->
                    sent.add(new Sent(type, ids, value, message, leverage));

    private static float[] fires(int d, int... features) {
        float[] f = new float[d];
        for (int j : features) f[j] = 1;
        return f;
    }

    @Test
    void newlyDeadFeaturesAlertOnceAndRevivalsAreReported() {
        FeatureWindow window = new FeatureWindow(10, 100);
        StarvationWatch watch = new StarvationWatch("aen", new ModelAlertThresholds(25, 0.5));
        window.add(50, fires(10, 0, 1, 2, 3, 4, 5, 6, 7));
        watch.check(window, 0.0, 1, sink, null);
        assertThat(sent).as("nothing before a whole window was seen").isEmpty();

        window.add(50, fires(10, 0, 1, 2, 3, 4, 5, 6, 7)); // 100 tokens: 8 and 9 never fired
        watch.check(window, 0.0, 1, sink, null);
        assertThat(sent).extracting(Sent::type).containsExactly(AlertType.FEATURE_DEAD);
        assertThat(sent.get(0).ids()).containsExactly(8, 9);

        sent.clear();
        window.add(50, fires(10, 0, 1, 2, 3, 4, 5, 6, 7));
        watch.check(window, 0.0, 1, sink, null);
        assertThat(sent).as("still dead: no repeat").isEmpty();

        window.add(50, fires(10, 0, 1, 2, 3, 4, 5, 6, 7, 9)); // 9 revives
        watch.check(window, 0.0, 1, sink, null);
        assertThat(sent).extracting(Sent::type).containsExactly(AlertType.FEATURE_REVIVED);
        assertThat(sent.get(0).ids()).containsExactly(9);
    }

    @Test
    void modelLevelAlertsFireOnceAboveTheirThresholdAndReArmBelowEightyPercentOfIt() {
        FeatureWindow window = new FeatureWindow(4, 10);
        StarvationWatch watch = new StarvationWatch("aen", new ModelAlertThresholds(40, 0.5));
        window.add(10, fires(4, 0, 1)); // 50% dead
        watch.check(window, 0.6, 1, sink, null);
        assertThat(sent)
                .extracting(Sent::type)
                .contains(AlertType.DEAD_FRACTION_HIGH, AlertType.WEIGHT_SATURATED);
        sent.clear();
        window.add(10, fires(4, 0, 1, 2)); // 25% dead: below 40 but not below 32? 25 < 32: re-armed
        watch.check(window, 0.45, 1, sink, null); // 0.45 > 0.4: saturation stays armed-off
        assertThat(sent)
                .extracting(Sent::type)
                .doesNotContain(AlertType.DEAD_FRACTION_HIGH, AlertType.WEIGHT_SATURATED);
        sent.clear();
        window.add(10, fires(4, 0)); // 75% dead again: a new alert
        watch.check(window, 0.6, 1, sink, null); // saturation never fell below 0.4: no repeat
        assertThat(sent)
                .extracting(Sent::type)
                .contains(AlertType.DEAD_FRACTION_HIGH)
                .doesNotContain(AlertType.WEIGHT_SATURATED);
    }

    @Test
    void deadAlertsCarryEachFeaturesCrossLeverageAndItsReading() {
        FeatureWindow window = new FeatureWindow(4, 10);
        StarvationWatch watch = new StarvationWatch("l1", new ModelAlertThresholds(90, 0.5));
        window.add(10, fires(4, 0, 1)); // 2 and 3 dead
        double[] leverage = {0.1, 0.2, 0.9, 0.05};
        watch.check(window, null, 1, sink, leverage);
        assertThat(sent).extracting(Sent::type).containsExactly(AlertType.FEATURE_DEAD);
        assertThat(sent.get(0).ids()).containsExactly(2, 3);
        assertThat(sent.get(0).h()).containsExactly(0.9f, 0.05f);
        assertThat(sent.get(0).message())
                .contains("1 shadowed by active atoms")
                .contains("1 uncovered");
    }

    @Test
    void withoutAdaptiveWeightsThereIsNoSaturationAlert() {
        FeatureWindow window = new FeatureWindow(4, 10);
        StarvationWatch watch = new StarvationWatch("l1", new ModelAlertThresholds(90, 0.5));
        window.add(10, fires(4, 0, 1, 2, 3));
        watch.check(window, null, 1, sink, null);
        assertThat(sent).isEmpty();
    }
}
