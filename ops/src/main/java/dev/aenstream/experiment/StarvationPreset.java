package dev.aenstream.experiment;

import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.AuxK;
import dev.aenstream.sae.penalty.ElasticNet;
import dev.aenstream.sae.penalty.Ghost;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.Penalty;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.train.SparsityTarget;
import dev.aenstream.sae.train.TrainConfig;
import java.util.List;
import java.util.Locale;

/**
 * The settings of one edition of the paper's spiked-data study (docs/experiments.md): the data, the
 * training schedule and the hyperparameters each architecture shares. {@code paper} is the authors'
 * schedule; {@code quick} keeps their data, dictionary and grid but trains 2,000 steps, so the
 * whole grid fits in 20 minutes on two cores.
 *
 * @param name preset name
 * @param steps steps of every run
 * @param tWarm T_warm of the adaptive architectures
 * @param tRamp T_ramp of the adaptive architectures
 * @param beta EMA decay of the adaptive weights
 * @param gamma exponent of the adaptive weights
 * @param p share of the largest EMAs that make the reference r
 * @param lambda2 the L2 weight of aen and elastic
 * @param deadWindowSteps steps of the window over which a feature that never fired is dead
 * @param ghostBeta decay of the ghost baseline's firing EMA
 * @param ghostThreshold firing EMA at or below which the ghost proxy acts on a feature
 * @param ghostMinSteps first step of the ghost proxy
 * @param auxkDeadSteps steps without firing after which AuxK's loss acts on a feature
 * @param centredStart whether b_dec starts at the mean of the first batch instead of 0
 * @param evalRows fresh rows of the final evaluation
 * @param rhos coherences of the true dictionary
 * @param archs architectures compared
 */
public record StarvationPreset(
        String name,
        long steps,
        long tWarm,
        long tRamp,
        double beta,
        double gamma,
        double p,
        double lambda2,
        long deadWindowSteps,
        double ghostBeta,
        double ghostThreshold,
        long ghostMinSteps,
        long auxkDeadSteps,
        boolean centredStart,
        int evalRows,
        List<Double> rhos,
        List<Penalty> archs) {
    /** The paper's coherences. */
    public static final List<Double> RHOS = List.of(0.0, 0.3, 0.5, 0.7, 0.9);

    /** Every architecture the trainer runs. */
    public static final List<Penalty> ARCHS = Penalties.ALL;

    /** The paper's target L0 of the spiked study (k = 16 true atoms per row). */
    public static final double DEFAULT_TARGET_L0 = 16;

    /**
     * The authors' schedule: 50,000 steps, warm-up 10,000 + 2,000, dead window 10,000 steps, and
     * the adaptive settings most of their best runs share (gamma 1, beta 0.9999, p 0.01, lambda2
     * 1e-3). Ghost's firing EMA decays with 0.999 and acts below 1e-4, after about 9,000 silent
     * steps: with the authors' Llama settings (0.9999 and 1e-6) a feature must be silent for
     * 138,000 steps, longer than the run. AuxK acts on a feature silent for 100 steps: Gao et al.'s
     * 10 million tokens are 76 of their 131,072-token batches, while at this batch of 256 rows they
     * would be 39,000 steps.
     */
    public static final StarvationPreset PAPER =
            new StarvationPreset(
                    "paper", 50_000, 10_000, 2_000, 0.9999, 1, 0.01, 1e-3, 10_000, 0.999, 1e-4,
                    2_000, 100, false, 4096, RHOS, ARCHS);

    /**
     * The same study in 2,000 steps: warm-up 600 + 300, a dead window of the last 500 steps, beta
     * 0.999 so the weights move within the run at all, a ghost proxy that acts after about 900
     * silent steps, from step 300, and b_dec started at the data's mean, which the authors' runs
     * spend their first 2,000 steps reaching.
     */
    public static final StarvationPreset QUICK =
            new StarvationPreset(
                    "quick", 2_000, 600, 300, 0.999, 1, 0.01, 1e-3, 500, 0.99, 1e-4, 300, 100, true,
                    2048, RHOS, ARCHS);

    public StarvationPreset {
        if (steps <= 0 || deadWindowSteps <= 0 || evalRows <= 0)
            throw new IllegalArgumentException("steps, dead window and eval rows must be positive");
        if (rhos.isEmpty() || archs.isEmpty())
            throw new IllegalArgumentException("need at least one rho and one architecture");
    }

    /** How b_dec starts, as {@code --b-dec-init} names it: {@code mean} or {@code zero}. */
    public String bDecInit() {
        return centredStart ? "mean" : "zero";
    }

    public static StarvationPreset named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "quick" -> QUICK;
            case "paper" -> PAPER;
            default ->
                    throw new IllegalArgumentException(
                            "--preset must be quick or paper, got '" + name + "'");
        };
    }

    /**
     * This preset with another run length, coherences, architectures, start of b_dec or number of
     * evaluation rows where they are not null.
     */
    public StarvationPreset narrowed(
            Long steps,
            List<Double> rhos,
            List<Penalty> archs,
            Boolean centredStart,
            Integer evalRows) {
        return new StarvationPreset(
                name,
                steps != null ? steps : this.steps,
                tWarm,
                tRamp,
                beta,
                gamma,
                p,
                lambda2,
                deadWindowSteps,
                ghostBeta,
                ghostThreshold,
                ghostMinSteps,
                auxkDeadSteps,
                centredStart != null ? centredStart : this.centredStart,
                evalRows != null ? evalRows : this.evalRows,
                rhos != null ? rhos : this.rhos,
                archs != null ? archs : this.archs);
    }

    /** The spiked data of one run: the paper's n, atoms and k at coherence {@code rho}. */
    public SpikedConfig data(double rho, long seed) {
        return SpikedConfig.builder()
                .set(SpikedConfig.RHO, rho)
                .set(SpikedConfig.SEED, seed)
                .build();
    }

    /**
     * The training configuration of one run, before matched sparsity sets lambda1 (started from the
     * authors' best value for the architecture) or k.
     */
    public TrainConfig train(Penalty arch, SpikedConfig data, long seed, double targetL0) {
        TrainConfig base =
                TrainConfig.synthetic(arch, data.get(SpikedConfig.N), data.get(SpikedConfig.ATOMS));
        TrainConfig.Builder b =
                base.toBuilder()
                        .set(AdaptiveWeights.T_WARM, tWarm)
                        .set(AdaptiveWeights.T_RAMP, tRamp)
                        .set(AdaptiveWeights.BETA, beta)
                        .set(AdaptiveWeights.GAMMA, gamma)
                        .set(AdaptiveWeights.P, p)
                        .set(ElasticNet.LAMBDA2, lambda2)
                        .set(TrainConfig.SEED, seed)
                        .set(
                                TrainConfig.DEAD_WINDOW_TOKENS,
                                deadWindowSteps * base.get(TrainConfig.BATCH))
                        .set(Ghost.BETA, ghostBeta)
                        .set(Ghost.THRESHOLD, ghostThreshold)
                        .set(Ghost.MIN_STEPS, ghostMinSteps)
                        .set(AuxK.DEAD_TOKENS, auxkDeadSteps * base.get(TrainConfig.BATCH))
                        .set(AuxK.K_AUX, auxkK(data));
        if (base.has(AdaptiveWeights.T_RAMP)) b.set(Penalised.LAMBDA1, ADAPTIVE_LAMBDA1);
        if (base.has(TopK.K)) b.set(TopK.K, SparsityTarget.topK(targetL0));
        return b.build();
    }

    /**
     * AuxK's k_aux: half the input width, as EleutherAI's sparsify takes it (Gao et al.'s 512 is
     * two thirds of GPT-2 small's 768).
     */
    static int auxkK(SpikedConfig data) {
        return data.get(SpikedConfig.N) / 2;
    }

    /**
     * Where the adaptive architectures' lambda1 starts: the authors' best adaptive runs all used
     * 0.001 (the non-adaptive ones 0.005).
     */
    public static final double ADAPTIVE_LAMBDA1 = 0.001;
}
