package dev.aenstream.online;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.Severity;
import dev.aenstream.monitor.AlertSink;
import dev.aenstream.monitor.Diagnosis;
import dev.aenstream.monitor.ModelAlertThresholds;
import dev.aenstream.monitor.ModelAlerts;
import dev.aenstream.sae.train.FeatureWindow;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Starvation seen while training one SAE: alerts for features that newly died over the token window
 * (ids batched), for features that fire again, and the model-level alerts of {@link ModelAlerts}.
 */
final class StarvationWatch {
    private final String saeId;
    private final ModelAlerts modelAlerts;
    private final BitSet alertedDead = new BitSet();

    StarvationWatch(String saeId, ModelAlertThresholds thresholds) {
        this.saeId = saeId;
        this.modelAlerts = new ModelAlerts(thresholds);
    }

    /**
     * Checks the window; {@code saturation} is null for architectures without adaptive weights, and
     * {@code crossLeverage} (per feature, against the active sets of recent rows; may be null) goes
     * with the FEATURE_DEAD alert as its diagnosis.
     */
    void check(
            FeatureWindow window,
            Double saturation,
            long version,
            AlertSink alerts,
            double[] crossLeverage) {
        if (!window.windowComplete()) return;
        int[] dead = window.deadFeatures();
        BitSet nowDead = new BitSet();
        List<Integer> newlyDead = new ArrayList<>();
        for (int j : dead) {
            nowDead.set(j);
            if (!alertedDead.get(j)) newlyDead.add(j);
        }
        List<Integer> revived = new ArrayList<>();
        for (int j = alertedDead.nextSetBit(0); j >= 0; j = alertedDead.nextSetBit(j + 1))
            if (!nowDead.get(j)) revived.add(j);
        double deadPct = window.deadPct();
        if (!newlyDead.isEmpty()) {
            alerts.send(
                    AlertType.FEATURE_DEAD,
                    Severity.WARNING,
                    saeId,
                    version,
                    newlyDead,
                    deadPct,
                    0,
                    newlyDead.size()
                            + " features did not fire in the last "
                            + window.windowTokens()
                            + " tokens"
                            + Diagnosis.summary(newlyDead, crossLeverage),
                    Diagnosis.leverages(newlyDead, crossLeverage));
        }
        if (!revived.isEmpty()) {
            alerts.send(
                    AlertType.FEATURE_REVIVED,
                    Severity.INFO,
                    saeId,
                    version,
                    revived,
                    deadPct,
                    0,
                    revived.size() + " features fire again");
        }
        alertedDead.clear();
        alertedDead.or(nowDead);
        modelAlerts.checkDeadFraction(saeId, version, deadPct, "", alerts);
        if (saturation != null) modelAlerts.checkSaturation(saeId, version, saturation, "", alerts);
    }
}
