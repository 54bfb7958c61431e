package dev.aenstream.monitor;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.Severity;
import java.util.List;

/**
 * The one owner of the model-level alerting rules, DEAD_FRACTION_HIGH and WEIGHT_SATURATED, for one
 * SAE: each goes out once when its figure crosses the threshold and re-arms only after the figure
 * falls below {@link #REARM_SHARE} of it, so a value on the edge does not flap. The trainer and the
 * stream monitor each hold one per SAE and keep its two flags with their own state.
 */
public final class ModelAlerts {
    /** A model-level alert re-arms once its figure falls below this share of its threshold. */
    public static final double REARM_SHARE = 0.8;

    private final ModelAlertThresholds thresholds;
    private boolean deadFractionHigh;
    private boolean saturated;

    public ModelAlerts(ModelAlertThresholds thresholds) {
        this.thresholds = thresholds;
    }

    /**
     * Raises DEAD_FRACTION_HIGH when {@code deadPct} crosses its threshold; {@code context} ends
     * the message.
     */
    public void checkDeadFraction(
            String saeId, long version, double deadPct, String context, AlertSink sink) {
        double threshold = thresholds.deadFractionPct();
        if (!deadFractionHigh && deadPct > threshold) {
            deadFractionHigh = true;
            sink.send(
                    AlertType.DEAD_FRACTION_HIGH,
                    Severity.CRITICAL,
                    saeId,
                    version,
                    List.of(),
                    deadPct,
                    threshold,
                    String.format(
                                    "%.1f%% of features are dead (threshold %.1f%%)",
                                    deadPct, threshold)
                            + context);
        } else if (deadFractionHigh && deadPct < REARM_SHARE * threshold) {
            deadFractionHigh = false;
        }
    }

    /**
     * Raises WEIGHT_SATURATED when {@code saturation} crosses its threshold; {@code context} ends
     * the message.
     */
    public void checkSaturation(
            String saeId, long version, double saturation, String context, AlertSink sink) {
        double threshold = thresholds.saturation();
        if (!saturated && saturation > threshold) {
            saturated = true;
            sink.send(
                    AlertType.WEIGHT_SATURATED,
                    Severity.WARNING,
                    saeId,
                    version,
                    List.of(),
                    saturation,
                    threshold,
                    String.format(
                                    "%.1f%% of adaptive weights are pinned at w_max",
                                    100 * saturation)
                            + context);
        } else if (saturated && saturation < REARM_SHARE * threshold) {
            saturated = false;
        }
    }

    public boolean deadFractionHigh() {
        return deadFractionHigh;
    }

    public boolean saturated() {
        return saturated;
    }

    /** Restores the flags a state store kept. */
    public ModelAlerts restore(boolean deadFractionHighFlag, boolean saturatedFlag) {
        this.deadFractionHigh = deadFractionHighFlag;
        this.saturated = saturatedFlag;
        return this;
    }
}
