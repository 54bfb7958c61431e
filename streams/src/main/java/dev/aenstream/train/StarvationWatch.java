package dev.aenstream.train;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.Severity;
import dev.aenstream.monitor.AlertSink;
import dev.aenstream.monitor.MonitorConfig;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Starvation seen while training one SAE: alerts for features that newly died over the token window
 * (ids batched), for features that fire again, and model-level alerts when the dead share or the
 * weight saturation crosses its threshold (re-armed only once it falls back below 80% of it, so a
 * value on the edge does not flap).
 */
final class StarvationWatch {
    private final String saeId;
    private final double deadPctThreshold;
    private final double saturationThreshold;
    private final BitSet alertedDead = new BitSet();
    private boolean deadFractionHigh;
    private boolean saturated;

    StarvationWatch(String saeId, double deadPctThreshold, double saturationThreshold) {
        this.saeId = saeId;
        this.deadPctThreshold = deadPctThreshold;
        this.saturationThreshold = saturationThreshold;
    }

    void check(FeatureWindow window, double saturation, long version, AlertSink alerts) {
        if (!window.windowComplete()) return;
        int[] dead = window.deadFeatures();
        BitSet nowDead = new BitSet();
        List<Integer> newlyDead = new ArrayList<>();
        for (int j : dead) {
            nowDead.set(j);
            if (!alertedDead.get(j)) newlyDead.add(j);
        }
        List<Integer> revived = new ArrayList<>();
        for (int j = alertedDead.nextSetBit(0); j >= 0; j = alertedDead.nextSetBit(j + 1)) if (!nowDead.get(j)) revived.add(j);
        double deadPct = window.deadPct();
        if (!newlyDead.isEmpty()) {
            alerts.send(AlertType.FEATURE_DEAD, Severity.WARNING, saeId, version, newlyDead, deadPct, 0,
                    newlyDead.size() + " features did not fire in the last " + window.tokens() + " tokens' window");
        }
        if (!revived.isEmpty()) {
            alerts.send(AlertType.FEATURE_REVIVED, Severity.INFO, saeId, version, revived, deadPct, 0,
                    revived.size() + " features fire again");
        }
        alertedDead.clear();
        alertedDead.or(nowDead);
        if (!deadFractionHigh && deadPct > deadPctThreshold) {
            deadFractionHigh = true;
            alerts.send(AlertType.DEAD_FRACTION_HIGH, Severity.CRITICAL, saeId, version, List.of(), deadPct, deadPctThreshold,
                    String.format("%.1f%% of features are dead (threshold %.1f%%)", deadPct, deadPctThreshold));
        } else if (deadFractionHigh && deadPct < MonitorConfig.MODEL_ALERT_REARM_SHARE * deadPctThreshold) {
            deadFractionHigh = false;
        }
        if (!saturated && saturation > saturationThreshold) {
            saturated = true;
            alerts.send(AlertType.WEIGHT_SATURATED, Severity.WARNING, saeId, version, List.of(), saturation, saturationThreshold,
                    String.format("%.1f%% of adaptive weights are pinned at w_max", 100 * saturation));
        } else if (saturated && saturation < MonitorConfig.MODEL_ALERT_REARM_SHARE * saturationThreshold) {
            saturated = false;
        }
    }
}
