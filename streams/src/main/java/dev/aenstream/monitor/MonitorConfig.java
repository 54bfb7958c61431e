package dev.aenstream.monitor;

import dev.aenstream.sae.train.FeatureWindow;

/**
 * Thresholds and windows of the starvation monitor, all counted in tokens where they are lengths.
 * {@link #defaults} gives the defaults (the constants below); {@link #toBuilder} changes fields by
 * name.
 *
 * @param deadTokens a feature that has not fired in this many tokens is FEATURE_DEAD
 * @param rareDensity a feature firing on fewer than this share of tokens is FEATURE_RARE ...
 * @param rearmFactor ... until its density exceeds rareDensity * rearmFactor (a band, so the edge
 *     does not flap)
 * @param densityHorizonTokens densities are exponentially decayed counts with this horizon
 * @param minTokens no feature is judged before this many tokens were seen
 * @param hysteresisTokens at most one alert per feature in this many tokens
 * @param modelAlerts thresholds of the model-level alerts (see {@link ModelAlerts})
 * @param windowMs length of the statistics windows the encoders flush
 * @param graceMs how late a part of a window may arrive and still be merged into it
 * @param fveRowStride the fve is estimated on every stride-th row (1: every row), which keeps
 *     decoding cheap
 */
public record MonitorConfig(
        long deadTokens,
        double rareDensity,
        double rearmFactor,
        long densityHorizonTokens,
        long minTokens,
        long hysteresisTokens,
        ModelAlertThresholds modelAlerts,
        long windowMs,
        long graceMs,
        int fveRowStride,
        int topContexts,
        int contextChars) {
    public static final long DEFAULT_DEAD_TOKENS = FeatureWindow.DEFAULT_DEAD_WINDOW_TOKENS;
    public static final double DEFAULT_RARE_DENSITY = 1e-4;
    public static final double DEFAULT_RARE_REARM_FACTOR = 2;
    public static final long DEFAULT_HORIZON_TOKENS = 1_000_000;
    public static final long DEFAULT_MIN_TOKENS = 20_000;
    public static final long DEFAULT_HYSTERESIS_TOKENS = 100_000;
    public static final long DEFAULT_WINDOW_MS = 10_000;
    public static final long DEFAULT_GRACE_MS = 60_000;
    public static final int DEFAULT_FVE_ROW_STRIDE = 16;

    /** Top activating tokens kept per feature and version, as SAE-Vis shows about as many. */
    public static final int DEFAULT_TOP_CONTEXTS = 10;

    /** Characters of text shown on each side of a top token. */
    public static final int DEFAULT_CONTEXT_CHARS = 60;

    public MonitorConfig {
        if (deadTokens <= 0
                || densityHorizonTokens <= 0
                || minTokens < 0
                || hysteresisTokens < 0
                || windowMs <= 0
                || graceMs < 0) {
            throw new IllegalArgumentException("monitor token counts and window must be positive");
        }
        if (fveRowStride <= 0)
            throw new IllegalArgumentException(
                    "fve row stride must be positive, got " + fveRowStride);
        if (!(rareDensity > 0 && rareDensity < 1))
            throw new IllegalArgumentException(
                    "rare density must be in (0, 1), got " + rareDensity);
        if (!(rearmFactor >= 1))
            throw new IllegalArgumentException("re-arm factor must be >= 1, got " + rearmFactor);
        if (modelAlerts == null)
            throw new IllegalArgumentException("model alert thresholds are required");
        if (topContexts < 0 || topContexts > MAX_TOP_CONTEXTS)
            throw new IllegalArgumentException(
                    "top contexts per feature must be in [0, "
                            + MAX_TOP_CONTEXTS
                            + "] (0 keeps none), got "
                            + topContexts);
        if (contextChars < 0 || contextChars > MAX_CONTEXT_CHARS)
            throw new IllegalArgumentException(
                    "context characters must be in [0, "
                            + MAX_CONTEXT_CHARS
                            + "], got "
                            + contextChars);
    }

    /**
     * Bounds that keep a block of feature contexts well under the topic's record limit: 256
     * features x 100 contexts x ~500 characters.
     */
    public static final int MAX_TOP_CONTEXTS = 100;

    public static final int MAX_CONTEXT_CHARS = 200;

    /**
     * Defaults: dead after the shared dead window without a fire (2,560,000 tokens), rare below
     * 1e-4, windows of 10 s.
     */
    public static MonitorConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration, to change fields by name. */
    public Builder toBuilder() {
        return builder()
                .deadTokens(deadTokens)
                .rareDensity(rareDensity)
                .rearmFactor(rearmFactor)
                .densityHorizonTokens(densityHorizonTokens)
                .minTokens(minTokens)
                .hysteresisTokens(hysteresisTokens)
                .modelAlerts(modelAlerts)
                .windowMs(windowMs)
                .graceMs(graceMs)
                .fveRowStride(fveRowStride)
                .topContexts(topContexts)
                .contextChars(contextChars);
    }

    /** Sets fields by name, starting from the defaults; {@link #build} validates. */
    public static final class Builder {
        private long deadTokens = DEFAULT_DEAD_TOKENS;
        private double rareDensity = DEFAULT_RARE_DENSITY;
        private double rearmFactor = DEFAULT_RARE_REARM_FACTOR;
        private long densityHorizonTokens = DEFAULT_HORIZON_TOKENS;
        private long minTokens = DEFAULT_MIN_TOKENS;
        private long hysteresisTokens = DEFAULT_HYSTERESIS_TOKENS;
        private ModelAlertThresholds modelAlerts = ModelAlertThresholds.defaults();
        private long windowMs = DEFAULT_WINDOW_MS;
        private long graceMs = DEFAULT_GRACE_MS;
        private int fveRowStride = DEFAULT_FVE_ROW_STRIDE;
        private int topContexts = DEFAULT_TOP_CONTEXTS;
        private int contextChars = DEFAULT_CONTEXT_CHARS;

        private Builder() {}

        public Builder deadTokens(long v) {
            deadTokens = v;
            return this;
        }

        public Builder rareDensity(double v) {
            rareDensity = v;
            return this;
        }

        public Builder rearmFactor(double v) {
            rearmFactor = v;
            return this;
        }

        public Builder densityHorizonTokens(long v) {
            densityHorizonTokens = v;
            return this;
        }

        public Builder minTokens(long v) {
            minTokens = v;
            return this;
        }

        public Builder hysteresisTokens(long v) {
            hysteresisTokens = v;
            return this;
        }

        public Builder modelAlerts(ModelAlertThresholds v) {
            modelAlerts = v;
            return this;
        }

        public Builder windowMs(long v) {
            windowMs = v;
            return this;
        }

        public Builder graceMs(long v) {
            graceMs = v;
            return this;
        }

        public Builder fveRowStride(int v) {
            fveRowStride = v;
            return this;
        }

        public Builder topContexts(int v) {
            topContexts = v;
            return this;
        }

        public Builder contextChars(int v) {
            contextChars = v;
            return this;
        }

        public MonitorConfig build() {
            return new MonitorConfig(
                    deadTokens,
                    rareDensity,
                    rearmFactor,
                    densityHorizonTokens,
                    minTokens,
                    hysteresisTokens,
                    modelAlerts,
                    windowMs,
                    graceMs,
                    fveRowStride,
                    topContexts,
                    contextChars);
        }
    }
}
