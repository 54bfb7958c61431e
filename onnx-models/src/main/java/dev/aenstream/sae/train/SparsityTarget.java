package dev.aenstream.sae.train;

/**
 * Matched sparsity: the deterministic procedure that chooses lambda1 so that a penalised SAE's L0
 * lands on a target (docs/experiments.md, "Matched sparsity"). After {@code settleSteps}, every
 * {@code every} steps until {@code calibrateSteps}, lambda1 is multiplied by {@code (l0 /
 * target)^gain}, with l0 the mean training L0 of those steps and the factor held to [1/maxFactor,
 * maxFactor]. By default it keeps doing so to the end of the run: L0 drifts while the dictionary
 * and the adaptive weights learn (short runs frozen at 75% or 90% of their steps ended 15 to 30%
 * off target), so the run reports its final lambda1 with the range it moved in over the dead
 * window. TopK needs none of this: k = target.
 *
 * @param targetL0 the L0 to reach
 * @param settleSteps steps before the first update (see {@link #DEFAULT_SETTLE_STEPS})
 * @param calibrateSteps steps during which lambda1 moves
 * @param every steps between two updates
 * @param gain exponent of the multiplicative update on the distance to the target
 * @param maxFactor largest change of lambda1 in one update
 */
public record SparsityTarget(
        double targetL0,
        long settleSteps,
        long calibrateSteps,
        long every,
        double gain,
        double maxFactor) {
    /**
     * Steps of a fresh SAE before lambda1 moves; a run shorter than ten times this settles a tenth.
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

    /** Share of a run spent calibrating: all of it, as the class comment says why. */
    public static final double DEFAULT_CALIBRATE_SHARE = 1.0;

    /** How far a final L0 may lie from its target and still count as matched. */
    public static final double TOLERANCE = 0.15;

    public SparsityTarget {
        if (!(targetL0 > 0))
            throw new IllegalArgumentException("target L0 must be positive, got " + targetL0);
        if (settleSteps < 0 || calibrateSteps < 0 || every <= 0)
            throw new IllegalArgumentException(
                    "settle and calibration steps must be >= 0 and every > 0");
        if (!(gain > 0) || !(maxFactor > 1))
            throw new IllegalArgumentException("need gain > 0 and max factor > 1");
    }

    /** The defaults for a run of {@code steps} steps. */
    public static SparsityTarget of(double targetL0, long steps) {
        return new SparsityTarget(
                targetL0,
                0,
                (long) (steps * DEFAULT_CALIBRATE_SHARE),
                DEFAULT_EVERY,
                DEFAULT_GAIN,
                DEFAULT_MAX_FACTOR);
    }

    /**
     * The defaults, calibrating from step {@code settleSteps} for as long as the SAE trains (an
     * online trainer).
     */
    public static SparsityTarget tracking(double targetL0, long settleSteps) {
        return new SparsityTarget(
                targetL0,
                settleSteps,
                Long.MAX_VALUE,
                DEFAULT_EVERY,
                DEFAULT_GAIN,
                DEFAULT_MAX_FACTOR);
    }

    /** Whether lambda1 may move after step {@code step}. */
    public boolean calibrates(long step) {
        return step > settleSteps && step <= calibrateSteps;
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
