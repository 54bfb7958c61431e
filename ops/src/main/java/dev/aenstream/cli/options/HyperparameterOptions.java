package dev.aenstream.cli.options;

import dev.aenstream.sae.Arch;
import dev.aenstream.sae.train.FeatureWindow;
import dev.aenstream.sae.train.TrainConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The training hyperparameters of docs/aen-sae.md as flags, described and defaulted by {@link
 * TrainConfig}; unset ones take the defaults of the setting (synthetic or language model).
 */
public final class HyperparameterOptions {
    @Option(
            names = "--arch",
            paramLabel = "ARCH",
            description =
                    "aen (adaptive elastic net), l1, elastic, alasso (adaptive lasso), topk or"
                            + " ghost (l1 with ghost gradients) (default: ${DEFAULT-VALUE}).")
    String arch = Arch.AEN.label();

    @Mixin DSaeOption dSae;

    @Option(
            names = "--batch",
            paramLabel = "B",
            description =
                    TrainConfig.Docs.BATCH
                            + " (default: "
                            + TrainConfig.SYNTHETIC_BATCH
                            + " synthetic, "
                            + TrainConfig.LM_BATCH
                            + " language model).")
    Integer batch;

    @Option(
            names = "--lr",
            paramLabel = "LR",
            description =
                    TrainConfig.Docs.LR
                            + " (default: "
                            + TrainConfig.DEFAULT_LR
                            + ", "
                            + TrainConfig.LM_WIDE_LR
                            + " for language-model rows of width "
                            + TrainConfig.LM_WIDE_N
                            + " and more).")
    Double lr;

    @Option(
            names = "--lambda1",
            paramLabel = "L1",
            description =
                    TrainConfig.Docs.LAMBDA1 + " (default: " + TrainConfig.DEFAULT_LAMBDA1 + ").")
    Double lambda1;

    @Option(
            names = "--lambda2",
            paramLabel = "L2",
            description =
                    TrainConfig.Docs.LAMBDA2 + " (default: " + TrainConfig.DEFAULT_LAMBDA2 + ").")
    Double lambda2;

    @Option(
            names = "--gamma",
            paramLabel = "GAMMA",
            description = TrainConfig.Docs.GAMMA + " (default: " + TrainConfig.DEFAULT_GAMMA + ").")
    Double gamma;

    @Option(
            names = "--beta",
            paramLabel = "BETA",
            description =
                    TrainConfig.Docs.BETA
                            + " (default: "
                            + TrainConfig.SYNTHETIC_BETA
                            + " synthetic, "
                            + TrainConfig.LM_BETA
                            + " language model).")
    Double beta;

    @Option(
            names = "--p",
            paramLabel = "P",
            description = TrainConfig.Docs.P + " (default: " + TrainConfig.DEFAULT_P + ").")
    Double p;

    @Option(
            names = "--w-min",
            paramLabel = "W",
            description = TrainConfig.Docs.W_MIN + " (default: " + TrainConfig.DEFAULT_W_MIN + ").")
    Double wMin;

    @Option(
            names = "--w-max",
            paramLabel = "W",
            description = TrainConfig.Docs.W_MAX + " (default: " + TrainConfig.DEFAULT_W_MAX + ").")
    Double wMax;

    @Option(
            names = "--warmup",
            paramLabel = "STEPS",
            description =
                    TrainConfig.Docs.T_WARM
                            + " (default: "
                            + TrainConfig.SYNTHETIC_T_WARM
                            + " synthetic, "
                            + TrainConfig.LM_T_WARM
                            + " language model).")
    Long warmup;

    @Option(
            names = "--ramp",
            paramLabel = "STEPS",
            description =
                    TrainConfig.Docs.T_RAMP + " (default: " + TrainConfig.DEFAULT_T_RAMP + ").")
    Long ramp;

    @Option(
            names = "--topk",
            paramLabel = "K",
            description = TrainConfig.Docs.K + " (default: " + TrainConfig.DEFAULT_K + ").")
    Integer topk;

    @Option(
            names = "--max-grad-norm",
            paramLabel = "NORM",
            description =
                    TrainConfig.Docs.MAX_GRAD_NORM
                            + " (default: none synthetic, "
                            + TrainConfig.LM_MAX_GRAD_NORM
                            + " language model).")
    Double maxGradNorm;

    @Option(
            names = "--dead-window",
            paramLabel = "TOKENS",
            description =
                    TrainConfig.Docs.DEAD_WINDOW_TOKENS
                            + " (default: "
                            + FeatureWindow.DEFAULT_DEAD_WINDOW_TOKENS
                            + ", the authors' 10,000 steps of 256 rows; the same default as the"
                            + " monitor's).")
    Long deadWindow;

    @Option(
            names = "--ghost-scale",
            paramLabel = "S",
            description =
                    TrainConfig.Docs.GHOST_SCALE
                            + " (default: "
                            + TrainConfig.DEFAULT_GHOST_SCALE
                            + ").")
    Double ghostScale;

    @Option(
            names = "--ghost-threshold",
            paramLabel = "F",
            description =
                    TrainConfig.Docs.GHOST_THRESHOLD
                            + " (default: "
                            + TrainConfig.DEFAULT_GHOST_THRESHOLD
                            + ").")
    Double ghostThreshold;

    @Option(
            names = "--ghost-beta",
            paramLabel = "BETA",
            description =
                    TrainConfig.Docs.GHOST_BETA
                            + " (default: "
                            + TrainConfig.DEFAULT_GHOST_BETA
                            + ").")
    Double ghostBeta;

    @Option(
            names = "--ghost-min-steps",
            paramLabel = "STEPS",
            description =
                    TrainConfig.Docs.GHOST_MIN_STEPS
                            + " (default: "
                            + TrainConfig.DEFAULT_GHOST_MIN_STEPS
                            + ").")
    Long ghostMinSteps;

    @Option(
            names = "--train-seed",
            paramLabel = "SEED",
            description = TrainConfig.Docs.SEED + " (default: ${DEFAULT-VALUE}).")
    long trainSeed = TrainConfig.DEFAULT_SEED;

    /** docs/aen-sae.md's synthetic defaults with the given flags applied. */
    public TrainConfig synthetic(int n) {
        return apply(TrainConfig.synthetic(Arch.parse(arch), n, dSae.dSae()));
    }

    /** docs/aen-sae.md's language-model defaults with the given flags applied. */
    public TrainConfig languageModel(int n) {
        return apply(TrainConfig.languageModel(Arch.parse(arch), n, dSae.dSae()));
    }

    private TrainConfig apply(TrainConfig c) {
        return c.toBuilder()
                .batch(or(batch, c.batch()))
                .lr(or(lr, c.lr()))
                .lambda1(or(lambda1, c.lambda1()))
                .lambda2(or(lambda2, c.lambda2()))
                .gamma(or(gamma, c.gamma()))
                .beta(or(beta, c.beta()))
                .p(or(p, c.p()))
                .wMin(or(wMin, c.wMin()))
                .wMax(or(wMax, c.wMax()))
                .tWarm(or(warmup, c.tWarm()))
                .tRamp(or(ramp, c.tRamp()))
                .k(or(topk, c.k()))
                .maxGradNorm(or(maxGradNorm, c.maxGradNorm()))
                .seed(trainSeed)
                .deadWindowTokens(or(deadWindow, c.deadWindowTokens()))
                .ghostScale(or(ghostScale, c.ghostScale()))
                .ghostThreshold(or(ghostThreshold, c.ghostThreshold()))
                .ghostBeta(or(ghostBeta, c.ghostBeta()))
                .ghostMinSteps(or(ghostMinSteps, c.ghostMinSteps()))
                .build();
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
