package dev.aenstream.sae.train;

import dev.aenstream.sae.penalty.AdaptiveWeights;
import java.util.Arrays;

/**
 * A plain reimplementation of docs/aen-sae.md's adaptive weights, to check the step graph against:
 * updated once per training step (warm-up steps included): {@code m_j <- beta m_j + (1-beta) mean_b
 * |h_bj|} (m_j = 1 before the first step); {@code r} = mean of the max(1, floor(p D)) largest m_j;
 * {@code w_j = clip((r / max(m_j, 1e-5))^gamma, w_min, w_max)}; {@code phi(t) = 0} while t <
 * T_warm, then min(1, (t - T_warm) / T_ramp); {@code wt_j = 1 + (w_j - 1) phi(t)}. No gradient
 * flows through them: the step graph takes {@code wt} as an input.
 */
final class ReferenceAdaptiveWeights {
    private final TrainConfig config;
    private final double[] ema;
    private final double[] w;
    private final float[] wt;
    private final double[] scratch;
    private double reference;
    private double phi;

    ReferenceAdaptiveWeights(TrainConfig config) {
        this.config = config;
        int d = config.d();
        this.ema = new double[d];
        Arrays.fill(ema, 1.0);
        this.w = new double[d];
        Arrays.fill(w, 1.0);
        this.wt = new float[d];
        Arrays.fill(wt, 1f);
        this.scratch = new double[d];
    }

    /**
     * Runs docs/aen-sae.md's five updates for step {@code t} (1-based) from this step's batch means
     * of |h_j|, and returns the {@code wt} to feed that step. Non-adaptive architectures keep wt =
     * 1.
     */
    public float[] update(long t, float[] meanAbsH) {
        if (!config.has(AdaptiveWeights.T_RAMP)) return wt;
        double beta = config.get(AdaptiveWeights.BETA);
        for (int j = 0; j < ema.length; j++) ema[j] = beta * ema[j] + (1 - beta) * meanAbsH[j];
        reference = topMean(AdaptiveWeights.referenceCount(config.settings(), config.d()));
        phi =
                t < config.get(AdaptiveWeights.T_WARM)
                        ? 0
                        : config.get(AdaptiveWeights.T_RAMP) == 0
                                ? 1
                                : Math.min(
                                        1,
                                        (double) (t - config.get(AdaptiveWeights.T_WARM))
                                                / config.get(AdaptiveWeights.T_RAMP));
        for (int j = 0; j < ema.length; j++) {
            double raw =
                    Math.pow(reference / Math.max(ema[j], 1e-5), config.get(AdaptiveWeights.GAMMA));
            w[j] =
                    Math.min(
                            config.get(AdaptiveWeights.W_MAX),
                            Math.max(config.get(AdaptiveWeights.W_MIN), raw));
            wt[j] = (float) (1 + (w[j] - 1) * phi);
        }
        return wt;
    }

    private double topMean(int count) {
        System.arraycopy(ema, 0, scratch, 0, ema.length);
        Arrays.sort(scratch);
        double sum = 0;
        for (int i = scratch.length - count; i < scratch.length; i++) sum += scratch[i];
        return sum / count;
    }

    /** Share of w_j pinned at w_max: near 1 is a sick run worth an alert. */
    public double saturation() {
        if (!config.has(AdaptiveWeights.T_RAMP)) return 0;
        int pinned = 0;
        for (double v : w) if (v >= config.get(AdaptiveWeights.W_MAX)) pinned++;
        return (double) pinned / w.length;
    }

    /** w_j after the last update. */
    public double saturationIndicator(int j) {
        return w[j];
    }

    public double phi() {
        return phi;
    }

    /** Current effective weights; do not modify. */
    public float[] wt() {
        return wt;
    }

    /** The EMA m_j; do not modify except through {@link #restore}. */
    public double[] ema() {
        return ema;
    }

    /** Restores the EMA from a checkpoint; w and wt follow at the next update. */
    public void restore(double[] savedEma) {
        if (savedEma.length != ema.length)
            throw new IllegalArgumentException(
                    "EMA of " + savedEma.length + " features, expected " + ema.length);
        System.arraycopy(savedEma, 0, ema, 0, ema.length);
    }
}
