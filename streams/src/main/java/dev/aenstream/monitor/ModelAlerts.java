package dev.aenstream.monitor;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.Severity;

/**
 * The one owner of the model-level alerting rules, DEAD_FRACTION_HIGH and WEIGHT_SATURATED, for one
 * SAE: each goes out once when its figure crosses the threshold and re-arms only after the figure
 * falls below {@link #REARM_SHARE} of it, so a value on the edge does not flap. The starvation
 * monitor (dead share, from the served version's counts) and the trainer's facts watch (saturation)
 * each keep its flag with their own state.
 */
public final class ModelAlerts {
    /** A model-level alert re-arms once its figure falls below this share of its threshold. */
    public static final double REARM_SHARE = 0.8;

    private final MonitorConfig config;
    private final Latch deadFraction = new Latch();
    private final Latch saturation = new Latch();

    /**
     * Alerts at {@code config}'s {@link MonitorConfig#DEAD_FRACTION_PCT} and {@link
     * MonitorConfig#SATURATION}.
     */
    public ModelAlerts(MonitorConfig config) {
        this.config = config;
    }

    /**
     * Raises DEAD_FRACTION_HIGH when {@code deadPct} crosses its threshold; {@code context} ends
     * the message.
     */
    public void checkDeadFraction(
            String saeId, long version, double deadPct, String context, AlertSink sink) {
        double threshold = config.get(MonitorConfig.DEAD_FRACTION_PCT);
        if (deadFraction.raises(deadPct, threshold)) {
            String what =
                    String.format(
                            "%.1f%% of features are dead (threshold %.1f%%)", deadPct, threshold);
            sink.send(
                    AlertSink.alert(AlertType.DEAD_FRACTION_HIGH, Severity.CRITICAL, saeId, version)
                            .setValue(deadPct)
                            .setThreshold(threshold)
                            .setMessage(what + context));
        }
    }

    /**
     * Raises WEIGHT_SATURATED when {@code share} of the adaptive weights at w_max crosses its
     * threshold; {@code context} ends the message.
     */
    public void checkSaturation(
            String saeId, long version, double share, String context, AlertSink sink) {
        double threshold = config.get(MonitorConfig.SATURATION);
        if (saturation.raises(share, threshold)) {
            String what =
                    String.format("%.1f%% of adaptive weights are pinned at w_max", 100 * share);
            sink.send(
                    AlertSink.alert(AlertType.WEIGHT_SATURATED, Severity.WARNING, saeId, version)
                            .setValue(share)
                            .setThreshold(threshold)
                            .setMessage(what + context));
        }
    }

    public boolean deadFractionHigh() {
        return deadFraction.raised;
    }

    public boolean saturated() {
        return saturation.raised;
    }

    /** Restores the flags a state store kept. */
    public ModelAlerts restore(boolean deadFractionHighFlag, boolean saturatedFlag) {
        deadFraction.raised = deadFractionHighFlag;
        saturation.raised = saturatedFlag;
        return this;
    }

    /**
     * One alert's hysteresis: raised above the threshold, re-armed below {@link #REARM_SHARE} of
     * it.
     */
    private static final class Latch {
        boolean raised;

        /** Whether {@code value} raises the alert now. */
        boolean raises(double value, double threshold) {
            if (!raised && value > threshold) {
                raised = true;
                return true;
            }
            if (raised && value < REARM_SHARE * threshold) raised = false;
            return false;
        }
    }
}
