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
 * @param fveRowStride the fve is estimated on every stride-th row (1: every row), which keeps decoding cheap
 */
public record MonitorConfig(long deadTokens, double rareDensity, double rearmFactor, long densityHorizonTokens, long minTokens,
                            long hysteresisTokens, double deadFractionPct, double saturation, long windowMs, long graceMs,
                            int fveRowStride) {
    /** A model-level alert re-arms once its figure falls below this share of its threshold. */
    public static final double MODEL_ALERT_REARM_SHARE = 0.8;
    public static final long DEFAULT_DEAD_TOKENS = 100_000;
    public static final String DEFAULT_RARE_DENSITY = "1e-4";
    public static final String DEFAULT_RARE_REARM_FACTOR = "2";
    public static final long DEFAULT_HORIZON_TOKENS = 1_000_000;
    public static final long DEFAULT_MIN_TOKENS = 20_000;
    public static final long DEFAULT_HYSTERESIS_TOKENS = 100_000;
    public static final String DEFAULT_DEAD_FRACTION_PCT = "20";
    public static final String DEFAULT_SATURATION = "0.5";
    public static final long DEFAULT_WINDOW_MS = 10_000;
    public static final long DEFAULT_GRACE_MS = 60_000;
    public static final int DEFAULT_FVE_ROW_STRIDE = 16;

    public MonitorConfig {
        if (deadTokens <= 0 || densityHorizonTokens <= 0 || minTokens < 0 || hysteresisTokens < 0 || windowMs <= 0 || graceMs < 0) {
            throw new IllegalArgumentException("monitor token counts and window must be positive");
        }
        if (fveRowStride <= 0) throw new IllegalArgumentException("fve row stride must be positive, got " + fveRowStride);
        if (!(rareDensity > 0 && rareDensity < 1)) throw new IllegalArgumentException("rare density must be in (0, 1), got " + rareDensity);
        if (!(rearmFactor >= 1)) throw new IllegalArgumentException("re-arm factor must be >= 1, got " + rearmFactor);
        if (!(deadFractionPct > 0 && deadFractionPct <= 100)) throw new IllegalArgumentException("dead fraction must be in (0, 100]");
        if (!(saturation > 0 && saturation <= 1)) throw new IllegalArgumentException("saturation threshold must be in (0, 1]");
    }

    /** Defaults: dead after 100k tokens without a fire, rare below 1e-4, windows of 10 s. */
    public static MonitorConfig defaults() {
        return new MonitorConfig(DEFAULT_DEAD_TOKENS, Double.parseDouble(DEFAULT_RARE_DENSITY), Double.parseDouble(DEFAULT_RARE_REARM_FACTOR),
                DEFAULT_HORIZON_TOKENS, DEFAULT_MIN_TOKENS, DEFAULT_HYSTERESIS_TOKENS, Double.parseDouble(DEFAULT_DEAD_FRACTION_PCT),
                Double.parseDouble(DEFAULT_SATURATION), DEFAULT_WINDOW_MS, DEFAULT_GRACE_MS, DEFAULT_FVE_ROW_STRIDE);
    }
}
