package dev.aenstream.cli.options;

import dev.aenstream.sae.Arch;
import dev.aenstream.sae.train.TrainConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * docs/aen-sae.md's training hyperparameters as flags; unset ones take docs/aen-sae.md's defaults
 * for the setting.
 */
public final class HyperparameterOptions {
    @Option(
            names = "--arch",
            paramLabel = "ARCH",
            description =
                    "aen (adaptive elastic net), l1, elastic, alasso (adaptive lasso) or topk"
                            + " (default: ${DEFAULT-VALUE}).")
    String arch = "aen";

    @Mixin DSaeOption dSae;

    @Option(
            names = "--batch",
            paramLabel = "B",
            description = "Rows per step (default: 256 synthetic, 4096 language model).")
    Integer batch;

    @Option(
            names = "--lr",
            paramLabel = "LR",
            description = "Adam learning rate (default: 1e-3; 5e-4 for n = 4096).")
    Double lr;

    @Option(
            names = "--lambda1",
            paramLabel = "L1",
            description = "Weight of the (adaptive) L1 term (default: 0.005).")
    Double lambda1;

    @Option(
            names = "--lambda2",
            paramLabel = "L2",
            description = "Weight of the L2 term; ignored by l1, alasso, topk (default: 1e-4).")
    Double lambda2;

    @Option(
            names = "--gamma",
            paramLabel = "GAMMA",
            description = "Exponent of the adaptive weights (default: 0.5).")
    Double gamma;

    @Option(
            names = "--beta",
            paramLabel = "BETA",
            description =
                    "EMA decay of mean |h_j| (default: 0.999 synthetic, 0.9999 language model).")
    Double beta;

    @Option(
            names = "--p",
            paramLabel = "P",
            description = "Share of the largest EMAs that make the reference r (default: 0.05).")
    Double p;

    @Option(
            names = "--w-min",
            paramLabel = "W",
            description = "Lower clip of the weights (default: 0.01).")
    Double wMin;

    @Option(
            names = "--w-max",
            paramLabel = "W",
            description = "Upper clip of the weights (default: 10).")
    Double wMax;

    @Option(
            names = "--warmup",
            paramLabel = "STEPS",
            description =
                    "T_warm: steps of plain elastic net before the ramp (default: 10000 synthetic,"
                            + " 4000 language model).")
    Long warmup;

    @Option(
            names = "--ramp",
            paramLabel = "STEPS",
            description = "T_ramp: steps over which the adaptive weights ramp in (default: 2000).")
    Long ramp;

    @Option(names = "--topk", paramLabel = "K", description = "k of a TopK SAE (default: 32).")
    Integer topk;

    @Option(
            names = "--max-grad-norm",
            paramLabel = "NORM",
            description =
                    "Clip of the global gradient norm (default: none synthetic, 1.0 language"
                            + " model).")
    Double maxGradNorm;

    @Option(
            names = "--dead-window",
            paramLabel = "TOKENS",
            description =
                    "Tokens without a fire after which a feature counts as dead "
                            + "(default: 256000 synthetic, 10000000 language model).")
    Long deadWindow;

    @Option(
            names = "--train-seed",
            paramLabel = "SEED",
            description = "Seed of the SAE's initialisation (default: ${DEFAULT-VALUE}).")
    long trainSeed = 0;

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
                .build();
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
