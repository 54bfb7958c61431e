package dev.aenstream.sae.train;

import dev.aenstream.sae.Arch;

/**
 * Everything one SAE's training needs, named as in {@code docs/aen-sae.md}. {@link #synthetic} and
 * {@link #languageModel} give the defaults of each setting (the constants below); {@link
 * #toBuilder} changes fields by name. The architecture decides which penalties apply (vanilla L1
 * and adaptive lasso train with lambda2 = 0 whatever is set here).
 *
 * @param arch the penalty: AEN-SAE or one of its baselines
 * @param n width of an activation row
 * @param d dictionary size D
 * @param batch rows per step
 * @param lr Adam's learning rate
 * @param lambda1 weight of the (adaptive) L1 term
 * @param lambda2 weight of the L2 term
 * @param gamma exponent of the adaptive weights
 * @param beta EMA decay of mean |h_j|
 * @param p share of the largest EMAs that make the reference r
 * @param wMin lower clip of the adaptive weights
 * @param wMax upper clip of the adaptive weights
 * @param tWarm T_warm: steps of plain elastic net before the ramp
 * @param tRamp T_ramp: steps over which the adaptive weights ramp in
 * @param k active features per row of a TopK SAE (ignored by the others)
 * @param maxGradNorm global gradient-norm clip; infinite means no clipping (the synthetic setting)
 * @param adamBeta1 Adam's first-moment decay
 * @param adamBeta2 Adam's second-moment decay
 * @param adamEps Adam's epsilon
 * @param seed seed of the initialisation
 * @param deadWindowTokens tokens over which a feature that never fired counts as dead
 * @param ghostScale weight of the ghost-gradient proxy loss (ghost only)
 * @param ghostThreshold a feature whose firing EMA is at most this is persistently dead (ghost
 *     only)
 * @param ghostBeta decay of the firing EMA (ghost only)
 * @param ghostMinSteps the first step the proxy loss applies at (ghost only)
 */
public record TrainConfig(
        Arch arch,
        int n,
        int d,
        int batch,
        double lr,
        double lambda1,
        double lambda2,
        double gamma,
        double beta,
        double p,
        double wMin,
        double wMax,
        long tWarm,
        long tRamp,
        int k,
        double maxGradNorm,
        double adamBeta1,
        double adamBeta2,
        double adamEps,
        long seed,
        long deadWindowTokens,
        double ghostScale,
        double ghostThreshold,
        double ghostBeta,
        long ghostMinSteps) {
    /** Defaults shared by both settings. */
    public static final double DEFAULT_LR = 1e-3;

    public static final double DEFAULT_LAMBDA1 = 0.005;
    public static final double DEFAULT_LAMBDA2 = 1e-4;
    public static final double DEFAULT_GAMMA = 0.5;
    public static final double DEFAULT_P = 0.05;
    public static final double DEFAULT_W_MIN = 0.01;
    public static final double DEFAULT_W_MAX = 10;
    public static final long DEFAULT_T_RAMP = 2_000;

    /**
     * Steps an offline run trains past T_warm + T_ramp unless told otherwise, so the adaptive
     * weights act at full strength for a real stretch (20,000 steps on the synthetic defaults; the
     * authors ran 50,000).
     */
    public static final long DEFAULT_STEPS_AFTER_RAMP = 8_000;

    /** The authors' ghost-gradient settings (their Llama baseline). */
    public static final double DEFAULT_GHOST_SCALE = 0.1;

    public static final double DEFAULT_GHOST_THRESHOLD = 1e-6;
    public static final double DEFAULT_GHOST_BETA = 0.9999;
    public static final long DEFAULT_GHOST_MIN_STEPS = 2_000;

    /** Default k of TopK SAEs (capped at D). */
    public static final int DEFAULT_K = 32;

    public static final double ADAM_BETA1 = 0.9;
    public static final double ADAM_BETA2 = 0.999;
    public static final double ADAM_EPS = 1e-8;
    public static final long DEFAULT_SEED = 0;

    /** Defaults of the synthetic setting. */
    public static final int SYNTHETIC_BATCH = 256;

    public static final double SYNTHETIC_BETA = 0.999;
    public static final long SYNTHETIC_T_WARM = 10_000;

    /** Defaults of the language-model setting. */
    public static final int LM_BATCH = 4096;

    /** The smaller learning rate for n of this width and above. */
    public static final int LM_WIDE_N = 4096;

    public static final double LM_WIDE_LR = 5e-4;
    public static final double LM_BETA = 0.9999;
    public static final long LM_T_WARM = 4_000;
    public static final double LM_MAX_GRAD_NORM = 1.0;

    /**
     * One line per tunable field, for the command line's help: the same words as the record's
     * documentation, so a flag and the field it sets are described once.
     */
    public static final class Docs {
        public static final String BATCH = "Rows per step";
        public static final String LR = "Adam's learning rate";
        public static final String LAMBDA1 = "Weight of the (adaptive) L1 term";
        public static final String LAMBDA2 =
                "Weight of the L2 term; ignored by l1, alasso and topk";
        public static final String GAMMA = "Exponent of the adaptive weights";
        public static final String BETA = "EMA decay of mean |h_j|";
        public static final String P = "Share of the largest EMAs that make the reference r";
        public static final String W_MIN = "Lower clip of the adaptive weights";
        public static final String W_MAX = "Upper clip of the adaptive weights";
        public static final String T_WARM = "T_warm: steps of plain elastic net before the ramp";
        public static final String T_RAMP = "T_ramp: steps over which the adaptive weights ramp in";
        public static final String K = "Active features per row of a TopK SAE (capped at D)";
        public static final String MAX_GRAD_NORM = "Clip of the global gradient norm";
        public static final String SEED = "Seed of the SAE's initialisation";
        public static final String DEAD_WINDOW_TOKENS =
                "Tokens without a fire after which a feature counts as dead";
        public static final String GHOST_SCALE = "Weight of the ghost-gradient proxy loss (ghost)";
        public static final String GHOST_THRESHOLD =
                "Firing EMA at or below which a feature is persistently dead (ghost)";
        public static final String GHOST_BETA = "Decay of the firing EMA (ghost)";
        public static final String GHOST_MIN_STEPS =
                "First step the ghost proxy loss applies at (ghost)";

        private Docs() {}
    }

    public TrainConfig {
        if (arch == null) throw new IllegalArgumentException("arch is required");
        positive("n", n);
        positive("d", d);
        positive("batch", batch);
        if (!(lr > 0)) throw new IllegalArgumentException("lr must be positive, got " + lr);
        if (!(lambda1 >= 0) || !(lambda2 >= 0))
            throw new IllegalArgumentException("lambda1 and lambda2 must be >= 0");
        if (!(gamma >= 0)) throw new IllegalArgumentException("gamma must be >= 0, got " + gamma);
        if (!(beta >= 0 && beta < 1))
            throw new IllegalArgumentException("beta must be in [0, 1), got " + beta);
        if (!(p > 0 && p <= 1)) throw new IllegalArgumentException("p must be in (0, 1], got " + p);
        if (!(wMin > 0 && wMin <= 1 && wMax >= 1)) {
            throw new IllegalArgumentException(
                    "need 0 < w_min <= 1 <= w_max, got " + wMin + ", " + wMax);
        }
        if (tWarm < 0 || tRamp < 0)
            throw new IllegalArgumentException("T_warm and T_ramp must be >= 0");
        if (arch == Arch.TOPK && (k <= 0 || k > d))
            throw new IllegalArgumentException("TopK needs 1 <= k <= D, got k=" + k);
        if (!(maxGradNorm > 0))
            throw new IllegalArgumentException(
                    "max grad norm must be positive (Infinity: no clipping)");
        if (deadWindowTokens <= 0)
            throw new IllegalArgumentException(
                    "dead window must be positive, got " + deadWindowTokens);
        if (arch.ghost()
                && (!(ghostScale >= 0)
                        || !(ghostThreshold >= 0)
                        || !(ghostBeta >= 0 && ghostBeta < 1)
                        || ghostMinSteps < 0)) {
            throw new IllegalArgumentException(
                    "ghost needs scale >= 0, threshold >= 0, 0 <= beta < 1 and min steps >= 0");
        }
    }

    private static void positive(String name, long value) {
        if (value <= 0)
            throw new IllegalArgumentException(name + " must be positive, got " + value);
    }

    /**
     * The synthetic defaults: lambda1 0.005, lambda2 1e-4, gamma 0.5, beta 0.999, p 0.05, warm-up
     * 10000 + 2000, no clipping.
     */
    public static TrainConfig synthetic(Arch arch, int n, int d) {
        return builder(arch, n, d)
                .batch(SYNTHETIC_BATCH)
                .beta(SYNTHETIC_BETA)
                .tWarm(SYNTHETIC_T_WARM)
                .maxGradNorm(Double.POSITIVE_INFINITY)
                .build();
    }

    /**
     * The language-model defaults: lambda2 1e-4, beta 0.9999, warm-up 4000 + 2000, clip 1.0, lr
     * 5e-4 for n = 4096.
     */
    public static TrainConfig languageModel(Arch arch, int n, int d) {
        return builder(arch, n, d)
                .batch(LM_BATCH)
                .lr(n >= LM_WIDE_N ? LM_WIDE_LR : DEFAULT_LR)
                .beta(LM_BETA)
                .tWarm(LM_T_WARM)
                .maxGradNorm(LM_MAX_GRAD_NORM)
                .build();
    }

    /** A builder for {@code arch} at n x D, on the synthetic defaults until fields are set. */
    public static Builder builder(Arch arch, int n, int d) {
        Builder b = new Builder();
        b.arch = arch;
        b.n = n;
        b.d = d;
        return b.k(Math.min(DEFAULT_K, d));
    }

    /**
     * The warm-up factor phi(t): 0 while t < T_warm, then min(1, (t - T_warm) / T_ramp); 0 for
     * non-adaptive architectures.
     */
    public double phi(long t) {
        if (!arch.adaptive() || t < tWarm) return 0;
        if (tRamp == 0) return 1;
        return Math.min(1, (double) (t - tWarm) / tRamp);
    }

    /** The default length of an offline run: {@link #DEFAULT_STEPS_AFTER_RAMP} past the ramp. */
    public long defaultSteps() {
        return tWarm + tRamp + DEFAULT_STEPS_AFTER_RAMP;
    }

    /** lambda2 as the architecture applies it. */
    public double effectiveLambda2() {
        return arch.l2() ? lambda2 : 0;
    }

    /** How many features make the reference r: max(1, floor(p * D)). */
    public int referenceCount() {
        return Math.max(1, (int) Math.floor(p * d));
    }

    /** A builder holding this configuration, to change fields by name. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.arch = arch;
        b.n = n;
        b.d = d;
        return b.batch(batch)
                .lr(lr)
                .lambda1(lambda1)
                .lambda2(lambda2)
                .gamma(gamma)
                .beta(beta)
                .p(p)
                .wMin(wMin)
                .wMax(wMax)
                .tWarm(tWarm)
                .tRamp(tRamp)
                .k(k)
                .maxGradNorm(maxGradNorm)
                .adamBeta1(adamBeta1)
                .adamBeta2(adamBeta2)
                .adamEps(adamEps)
                .seed(seed)
                .deadWindowTokens(deadWindowTokens)
                .ghostScale(ghostScale)
                .ghostThreshold(ghostThreshold)
                .ghostBeta(ghostBeta)
                .ghostMinSteps(ghostMinSteps);
    }

    public TrainConfig with(Arch a) {
        return toBuilder().arch(a).build();
    }

    public TrainConfig withBatch(int b) {
        return toBuilder().batch(b).build();
    }

    public TrainConfig withWarmup(long warm, long ramp) {
        return toBuilder().tWarm(warm).tRamp(ramp).build();
    }

    public TrainConfig withLambdas(double l1, double l2) {
        return toBuilder().lambda1(l1).lambda2(l2).build();
    }

    public TrainConfig withK(int topK) {
        return toBuilder().k(topK).build();
    }

    /**
     * Sets fields by name; {@link #build} validates. Fields without a setter call keep the shared
     * defaults.
     */
    public static final class Builder {
        private Arch arch;
        private int n;
        private int d;
        private int batch = SYNTHETIC_BATCH;
        private double lr = DEFAULT_LR;
        private double lambda1 = DEFAULT_LAMBDA1;
        private double lambda2 = DEFAULT_LAMBDA2;
        private double gamma = DEFAULT_GAMMA;
        private double beta = SYNTHETIC_BETA;
        private double p = DEFAULT_P;
        private double wMin = DEFAULT_W_MIN;
        private double wMax = DEFAULT_W_MAX;
        private long tWarm = SYNTHETIC_T_WARM;
        private long tRamp = DEFAULT_T_RAMP;
        private int k = DEFAULT_K;
        private double maxGradNorm = Double.POSITIVE_INFINITY;
        private double adamBeta1 = ADAM_BETA1;
        private double adamBeta2 = ADAM_BETA2;
        private double adamEps = ADAM_EPS;
        private long seed = DEFAULT_SEED;
        private long deadWindowTokens = FeatureWindow.DEFAULT_DEAD_WINDOW_TOKENS;
        private double ghostScale = DEFAULT_GHOST_SCALE;
        private double ghostThreshold = DEFAULT_GHOST_THRESHOLD;
        private double ghostBeta = DEFAULT_GHOST_BETA;
        private long ghostMinSteps = DEFAULT_GHOST_MIN_STEPS;

        private Builder() {}

        public Builder arch(Arch v) {
            arch = v;
            return this;
        }

        public Builder n(int v) {
            n = v;
            return this;
        }

        /** Sets D; a TopK k above it is capped at it. */
        public Builder d(int v) {
            d = v;
            k = Math.min(k, v);
            return this;
        }

        public Builder batch(int v) {
            batch = v;
            return this;
        }

        public Builder lr(double v) {
            lr = v;
            return this;
        }

        public Builder lambda1(double v) {
            lambda1 = v;
            return this;
        }

        public Builder lambda2(double v) {
            lambda2 = v;
            return this;
        }

        public Builder gamma(double v) {
            gamma = v;
            return this;
        }

        public Builder beta(double v) {
            beta = v;
            return this;
        }

        public Builder p(double v) {
            p = v;
            return this;
        }

        public Builder wMin(double v) {
            wMin = v;
            return this;
        }

        public Builder wMax(double v) {
            wMax = v;
            return this;
        }

        public Builder tWarm(long v) {
            tWarm = v;
            return this;
        }

        public Builder tRamp(long v) {
            tRamp = v;
            return this;
        }

        public Builder k(int v) {
            k = v;
            return this;
        }

        public Builder maxGradNorm(double v) {
            maxGradNorm = v;
            return this;
        }

        public Builder adamBeta1(double v) {
            adamBeta1 = v;
            return this;
        }

        public Builder adamBeta2(double v) {
            adamBeta2 = v;
            return this;
        }

        public Builder adamEps(double v) {
            adamEps = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder deadWindowTokens(long v) {
            deadWindowTokens = v;
            return this;
        }

        public Builder ghostScale(double v) {
            ghostScale = v;
            return this;
        }

        public Builder ghostThreshold(double v) {
            ghostThreshold = v;
            return this;
        }

        public Builder ghostBeta(double v) {
            ghostBeta = v;
            return this;
        }

        public Builder ghostMinSteps(long v) {
            ghostMinSteps = v;
            return this;
        }

        public TrainConfig build() {
            return new TrainConfig(
                    arch,
                    n,
                    d,
                    batch,
                    lr,
                    lambda1,
                    lambda2,
                    gamma,
                    beta,
                    p,
                    wMin,
                    wMax,
                    tWarm,
                    tRamp,
                    k,
                    maxGradNorm,
                    adamBeta1,
                    adamBeta2,
                    adamEps,
                    seed,
                    deadWindowTokens,
                    ghostScale,
                    ghostThreshold,
                    ghostBeta,
                    ghostMinSteps);
        }
    }
}
