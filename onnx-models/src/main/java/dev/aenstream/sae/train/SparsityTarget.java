package dev.aenstream.sae.train;

import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.Penalties;

/**
 * Matched sparsity: the deterministic procedure that chooses lambda1 so that a penalised SAE's L0
 * lands on a target (docs/experiments.md, "Matched sparsity"). After {@code settleSteps}, every
 * {@code every} steps, lambda1 is multiplied by {@code (l0 / target)^gain}, with l0 the mean
 * training L0 of those steps and the factor held to [1/maxFactor, maxFactor]. It keeps doing so for
 * as long as the SAE trains: L0 drifts while the dictionary and the adaptive weights learn (short
 * runs frozen at 75% or 90% of their steps ended 15 to 30% off target), so a run reports its final
 * lambda1 with the range it moved in over the dead window. TopK needs none of this: k = target
 * ({@link #topK}).
 *
 * @param targetL0 the L0 to reach
 * @param settleSteps steps before the first update (see {@link #DEFAULT_SETTLE_STEPS})
 * @param every steps between two updates
 * @param gain exponent of the multiplicative update on the distance to the target
 * @param maxFactor largest change of lambda1 in one update
 */
public record SparsityTarget(
        double targetL0, long settleSteps, long every, double gain, double maxFactor) {
    /**
     * Steps of a fresh SAE before lambda1 moves in an online trainer, which starts from a lambda1
     * that is not yet known to fit: a fresh SAE fires on half its features and its L0 falls by
     * itself as it learns, and a controller that fights that fall from a poor start raises lambda1
     * tenfold and kills features (measured: AEN 87% dead in the demo's first 250 steps). Offline
     * runs start from the authors' best lambda1 and calibrate from the first step: settling cost
     * them more (settled runs missed the band twice as often on the quick preset).
     */
    public static final long DEFAULT_SETTLE_STEPS = 500;

    /** Steps between updates unless set. */
    public static final long DEFAULT_EVERY = 50;

    /**
     * Exponent of the update: L0 falls roughly like lambda1^-1 near the targets of interest, so a
     * gain below 1 approaches without overshoot.
     */
    public static final double DEFAULT_GAIN = 0.3;

    /** At most a factor of 1.25 per update, so one noisy window cannot throw lambda1 far. */
    public static final double DEFAULT_MAX_FACTOR = 1.25;

    /** How far a final L0 may lie from its target and still count as matched. */
    public static final double TOLERANCE = 0.15;

    public SparsityTarget {
        if (!(targetL0 > 0))
            throw new IllegalArgumentException("target L0 must be positive, got " + targetL0);
        if (settleSteps < 0 || every <= 0)
            throw new IllegalArgumentException("settle steps must be >= 0 and every > 0");
        if (!(gain > 0) || !(maxFactor > 1))
            throw new IllegalArgumentException("need gain > 0 and max factor > 1");
    }

    /** The defaults of an offline run: calibrating from its first step. */
    public static SparsityTarget of(double targetL0) {
        return tracking(targetL0, 0);
    }

    /** The defaults, calibrating from step {@code settleSteps} on (an online trainer). */
    public static SparsityTarget tracking(double targetL0, long settleSteps) {
        return new SparsityTarget(
                targetL0, settleSteps, DEFAULT_EVERY, DEFAULT_GAIN, DEFAULT_MAX_FACTOR);
    }

    /**
     * The defaults, calibrating from step {@code settleSteps} on, and for AEN not before its
     * warm-up ends. AEN forms its adaptive weights at T_warm from the codes of its warm-up: a
     * lambda1 pushed up during it keeps most features rare then, and their weights stay pinned at
     * w_max (paper preset, rho 0.3, seeds 0 and 1: AEN 16.6% and 13.8% dead matched from the first
     * step, 0.4% and 0.4% held until T_warm). Adaptive lasso is not held: held, it ended 38.9% and
     * 39.2% dead against 20.8% and 24.6% (docs/experiments.md, "When L0 is matched").
     */
    public static SparsityTarget afterWarmUp(double targetL0, long settleSteps, TrainConfig sae) {
        return tracking(targetL0, Math.max(settleSteps, holdSteps(sae)));
    }

    /** The steps lambda1 of {@code sae} is held at least: AEN's T_warm, else 0. */
    public static long holdSteps(TrainConfig sae) {
        boolean aen = sae.penalty().label().equals(Penalties.AEN.label());
        return aen ? sae.get(AdaptiveWeights.T_WARM) : 0;
    }

    /** The k a TopK SAE takes to meet {@code targetL0}. */
    public static int topK(double targetL0) {
        return (int) Math.round(targetL0);
    }

    /** Whether lambda1 may move after step {@code step}. */
    public boolean calibrates(long step) {
        return step > settleSteps;
    }

    /** Whether {@code l0} lies within {@link #TOLERANCE} of the target. */
    public boolean matched(double l0) {
        return Math.abs(l0 - targetL0) <= TOLERANCE * targetL0;
    }

    /** The lambda1 that follows {@code lambda1} after a window of mean L0 {@code l0}. */
    public double next(double lambda1, double l0) {
        double factor = Math.pow(Math.max(l0, 1e-3) / targetL0, gain);
        factor = Math.max(1 / maxFactor, Math.min(maxFactor, factor));
        return lambda1 * factor;
    }
}
