package dev.aenstream.online;

import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.sae.Arch;
import dev.aenstream.sae.eval.SampleGeometry;
import dev.aenstream.sae.train.Trainer;
import dev.aenstream.sae.train.TrainingMetrics;

/** The trainer-metrics record of one SAE after a step: its figures and the paper's geometry. */
final class TrainerMetricsRecord {
    private TrainerMetricsRecord() {}

    static TrainerMetrics of(
            Trainer t, TrainingMetrics m, SampleGeometry.Figures g, long version, long lag) {
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
                .setConsumerLag(lag)
                .setTimestampMs(System.currentTimeMillis())
                .setLambda1(t.config().arch() == Arch.TOPK ? null : t.config().lambda1())
                .setShrinkage(finite(g.shrinkage()))
                .setRecoveryRate(finite(t.window().recoveryRate()))
                .setCoherenceMean(g.coherence() == null ? null : g.coherence().mean())
                .setCoherenceMax(g.coherence() == null ? null : g.coherence().max())
                .setActiveCondition(finite(g.active().condition()))
                .setLeakage(finite(g.active().leakage()))
                .setDeadCrossLeverage(
                        finite(g.active().meanCrossLeverage(t.window().deadFeatures())))
                .build();
    }

    /** Avro holds NaN, but JSON readers of the topic do not: an undefined figure is null. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
