package dev.aenstream.train;

import dev.aenstream.sae.Arch;

/**
 * Everything one SAE's training needs, named as in the spec. {@link #synthetic} and
 * {@link #languageModel} give the spec's defaults for each setting; the architecture decides which
 * penalties apply (vanilla L1 and adaptive lasso train with lambda2 = 0 whatever is set here).
 *
 * @param maxGradNorm global gradient-norm clip; infinite means no clipping (the synthetic setting)
 * @param k active features per row of a TopK SAE (ignored by the others)
 * @param deadWindowTokens tokens over which a feature that never fired counts as dead
 */
public record TrainConfig(Arch arch, int n, int d, int batch, double lr, double lambda1, double lambda2, double gamma,
                          double beta, double p, double wMin, double wMax, long tWarm, long tRamp, int k,
                          double maxGradNorm, double adamBeta1, double adamBeta2, double adamEps, long seed,
                          long deadWindowTokens) {
    public static final double ADAM_BETA1 = 0.9;
    /** Default k of TopK SAEs (capped at D). */
    public static final int DEFAULT_K = 32;
    public static final double ADAM_BETA2 = 0.999;
    public static final double ADAM_EPS = 1e-8;

    public TrainConfig {
        if (arch == null) throw new IllegalArgumentException("arch is required");
        positive("n", n);
        positive("d", d);
        positive("batch", batch);
        if (!(lr > 0)) throw new IllegalArgumentException("lr must be positive, got " + lr);
        if (!(lambda1 >= 0) || !(lambda2 >= 0)) throw new IllegalArgumentException("lambda1 and lambda2 must be >= 0");
        if (!(gamma >= 0)) throw new IllegalArgumentException("gamma must be >= 0, got " + gamma);
        if (!(beta >= 0 && beta < 1)) throw new IllegalArgumentException("beta must be in [0, 1), got " + beta);
        if (!(p > 0 && p <= 1)) throw new IllegalArgumentException("p must be in (0, 1], got " + p);
        if (!(wMin > 0 && wMin <= 1 && wMax >= 1)) {
            throw new IllegalArgumentException("need 0 < w_min <= 1 <= w_max, got " + wMin + ", " + wMax);
        }
        if (tWarm < 0 || tRamp < 0) throw new IllegalArgumentException("T_warm and T_ramp must be >= 0");
        if (arch == Arch.TOPK && (k <= 0 || k > d)) throw new IllegalArgumentException("TopK needs 1 <= k <= D, got k=" + k);
        if (!(maxGradNorm > 0)) throw new IllegalArgumentException("max grad norm must be positive (Infinity: no clipping)");
        if (deadWindowTokens <= 0) throw new IllegalArgumentException("dead window must be positive, got " + deadWindowTokens);
    }

    private static void positive(String name, long value) {
        if (value <= 0) throw new IllegalArgumentException(name + " must be positive, got " + value);
    }

    /** The spec's synthetic defaults: lambda1 0.005, lambda2 1e-4, gamma 0.5, beta 0.999, p 0.05, warm-up 10000 + 2000, no clipping. */
    public static TrainConfig synthetic(Arch arch, int n, int d) {
        return new TrainConfig(arch, n, d, 256, 1e-3, 0.005, 1e-4, 0.5, 0.999, 0.05, 0.01, 10, 10_000, 2_000, Math.min(DEFAULT_K, d),
                Double.POSITIVE_INFINITY, ADAM_BETA1, ADAM_BETA2, ADAM_EPS, 0, 256L * 1000);
    }

    /** The spec's language-model defaults: lambda2 1e-4, beta 0.9999, warm-up 4000 + 2000, clip 1.0, lr 5e-4 for n = 4096. */
    public static TrainConfig languageModel(Arch arch, int n, int d) {
        return new TrainConfig(arch, n, d, 4096, n >= 4096 ? 5e-4 : 1e-3, 0.005, 1e-4, 0.5, 0.9999, 0.05, 0.01, 10, 4_000,
                2_000, Math.min(DEFAULT_K, d), 1.0, ADAM_BETA1, ADAM_BETA2, ADAM_EPS, 0, 10_000_000);
    }

    /** The warm-up factor phi(t): 0 while t < T_warm, then min(1, (t - T_warm) / T_ramp); 0 for non-adaptive architectures. */
    public double phi(long t) {
        if (!arch.adaptive() || t < tWarm) return 0;
        if (tRamp == 0) return 1;
        return Math.min(1, (double) (t - tWarm) / tRamp);
    }

    /** lambda2 as the architecture applies it. */
    public double effectiveLambda2() {
        return arch.l2() ? lambda2 : 0;
    }

    /** How many features make the reference r: max(1, floor(p * D)). */
    public int referenceCount() {
        return Math.max(1, (int) Math.floor(p * d));
    }

    public TrainConfig with(Arch a) { return new TrainConfig(a, n, d, batch, lr, lambda1, lambda2, gamma, beta, p, wMin, wMax, tWarm, tRamp, k, maxGradNorm, adamBeta1, adamBeta2, adamEps, seed, deadWindowTokens); }
    public TrainConfig withBatch(int b) { return new TrainConfig(arch, n, d, b, lr, lambda1, lambda2, gamma, beta, p, wMin, wMax, tWarm, tRamp, k, maxGradNorm, adamBeta1, adamBeta2, adamEps, seed, deadWindowTokens); }
    public TrainConfig withWarmup(long warm, long ramp) { return new TrainConfig(arch, n, d, batch, lr, lambda1, lambda2, gamma, beta, p, wMin, wMax, warm, ramp, k, maxGradNorm, adamBeta1, adamBeta2, adamEps, seed, deadWindowTokens); }
    public TrainConfig withLambdas(double l1, double l2) { return new TrainConfig(arch, n, d, batch, lr, l1, l2, gamma, beta, p, wMin, wMax, tWarm, tRamp, k, maxGradNorm, adamBeta1, adamBeta2, adamEps, seed, deadWindowTokens); }
    public TrainConfig withK(int topK) { return new TrainConfig(arch, n, d, batch, lr, lambda1, lambda2, gamma, beta, p, wMin, wMax, tWarm, tRamp, topK, maxGradNorm, adamBeta1, adamBeta2, adamEps, seed, deadWindowTokens); }
}
