package dev.aenstream.monitor;

/**
 * Thresholds and windows of the starvation monitor, all counted in tokens where they are lengths.
 *
 * @param deadTokens a feature that has not fired in this many tokens is FEATURE_DEAD
 * @param rareDensity a feature firing on fewer than this share of tokens is FEATURE_RARE ...
 * @param rearmFactor ... until its density exceeds rareDensity * rearmFactor (a band, so the edge does not flap)
 * @param densityHorizonTokens densities are exponentially decayed counts with this horizon
 * @param minTokens no feature is judged before this many tokens were seen
 * @param hysteresisTokens at most one alert per feature in this many tokens
 * @param deadFractionPct DEAD_FRACTION_HIGH above this share of dead features (re-armed below 80% of it)
 * @param saturation WEIGHT_SATURATED above this share of adaptive weights at w_max (re-armed below 80% of it)
 * @param windowMs length of the statistics windows the encoders flush
 * @param graceMs how late a part of a window may arrive and still be merged into it
 */
public record MonitorConfig(long deadTokens, double rareDensity, double rearmFactor, long densityHorizonTokens, long minTokens,
                            long hysteresisTokens, double deadFractionPct, double saturation, long windowMs, long graceMs) {
    public MonitorConfig {
        if (deadTokens <= 0 || densityHorizonTokens <= 0 || minTokens < 0 || hysteresisTokens < 0 || windowMs <= 0 || graceMs < 0) {
            throw new IllegalArgumentException("monitor token counts and window must be positive");
        }
        if (!(rareDensity > 0 && rareDensity < 1)) throw new IllegalArgumentException("rare density must be in (0, 1), got " + rareDensity);
        if (!(rearmFactor >= 1)) throw new IllegalArgumentException("re-arm factor must be >= 1, got " + rearmFactor);
        if (!(deadFractionPct > 0 && deadFractionPct <= 100)) throw new IllegalArgumentException("dead fraction must be in (0, 100]");
        if (!(saturation > 0 && saturation <= 1)) throw new IllegalArgumentException("saturation threshold must be in (0, 1]");
    }

    /** Defaults: dead after 100k tokens without a fire, rare below 1e-4, windows of 10 s. */
    public static MonitorConfig defaults() {
        return new MonitorConfig(100_000, 1e-4, 2, 1_000_000, 20_000, 100_000, 20, 0.5, 10_000, 60_000);
    }
}
