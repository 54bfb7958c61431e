package dev.aenstream.online;

import dev.aenstream.avro.RetentionGap;
import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.sae.eval.SampleGeometry;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.train.FeatureWindow;
import dev.aenstream.sae.train.Trainer;
import dev.aenstream.sae.train.TrainingMetrics;
import java.util.ArrayList;
import java.util.List;

/**
 * The trainer-metrics record of one SAE: its figures, the paper's geometry, and the facts the
 * monitor raises alerts from (the starving features with their cross-leverage, the retention gaps
 * skipped). The trainer itself raises no alert.
 */
final class TrainerMetricsRecord {
    /** Starving features one record lists at most: 25,000 ids and leverages are 200 KB. */
    static final int MAX_STARVING = 25_000;

    private TrainerMetricsRecord() {}

    /**
     * @param g the latest measurements, or null before any (a record sent for a gap before the
     *     first metrics interval)
     */
    static TrainerMetrics of(
            Trainer t,
            TrainingMetrics m,
            SampleGeometry.Figures g,
            long version,
            StreamLag.Figures lag,
            List<RetentionGap> gaps,
            List<RetentionGap> skips) {
        FeatureWindow window = t.window();
        int[] dead = window.deadFeatures();
        int[] starving = window.windowComplete() ? dead : null;
        double[] leverage = g == null ? null : g.active().crossLeverage();
        return TrainerMetrics.newBuilder()
                .setSaeId(t.saeId())
                .setArch(m.arch())
                .setVersion(version)
                .setStep(m.step())
                .setTokens(m.tokens())
                .setMse(m.mse())
                .setL1(m.l1())
                .setL2(m.l2())
                .setLoss(m.loss())
                .setL0(m.l0())
                .setFve(m.fve())
                .setDeadPct(m.deadPct())
                .setWeightSaturation(m.weightSaturation())
                .setWarmupFactor(m.warmupFactor())
                .setTokensPerS(m.tokensPerS())
                .setConsumerLag(lag.records())
                .setStreamShare(lag.streamShare())
                .setLagMs(lag.lagMs())
                .setTimestampMs(System.currentTimeMillis())
                .setLambda1(
                        t.config().has(Penalised.LAMBDA1)
                                ? t.config().get(Penalised.LAMBDA1)
                                : null)
                .setShrinkage(g == null ? null : finite(g.shrinkage()))
                .setRecoveryRate(finite(window.recoveryRate()))
                .setCoherenceMean(g == null || g.coherence() == null ? null : g.coherence().mean())
                .setCoherenceMax(g == null || g.coherence() == null ? null : g.coherence().max())
                .setActiveCondition(g == null ? null : finite(g.active().condition()))
                .setLeakage(g == null ? null : finite(g.active().leakage()))
                .setDeadCrossLeverage(g == null ? null : finite(g.active().meanCrossLeverage(dead)))
                .setStarvingFeatures(starving == null ? null : ids(starving))
                .setStarvingLeverage(
                        starving == null || leverage == null ? null : leverages(starving, leverage))
                .setWindowTokens(window.windowTokens())
                .setRetentionGaps(List.copyOf(gaps))
                .setLagSkips(List.copyOf(skips))
                .build();
    }

    private static List<Integer> ids(int[] starving) {
        List<Integer> out = new ArrayList<>(Math.min(starving.length, MAX_STARVING));
        for (int i = 0; i < starving.length && i < MAX_STARVING; i++) out.add(starving[i]);
        return out;
    }

    private static List<Float> leverages(int[] starving, double[] leverage) {
        List<Float> out = new ArrayList<>(Math.min(starving.length, MAX_STARVING));
        for (int i = 0; i < starving.length && i < MAX_STARVING; i++) {
            int j = starving[i];
            out.add(j < leverage.length ? (float) leverage[j] : Float.NaN);
        }
        return out;
    }

    /** Avro holds NaN, but JSON readers of the topic do not: an undefined figure is null. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
