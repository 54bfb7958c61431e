package dev.aenstream.monitor;

import static dev.aenstream.sae.setting.Setting.Defaults.always;

import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.Setting.Rule;
import dev.aenstream.sae.setting.SettingValues;
import dev.aenstream.sae.train.FeatureWindow;
import java.util.List;

/**
 * The statistics and starvation monitor's settings, all counted in tokens where they are lengths: a
 * value for each {@link Setting} in {@link #ALL}, each declared once below with its flag, default,
 * rule and doc (docs/operations.md's table is made from them).
 */
public record MonitorConfig(SettingValues settings) {
    public static final Setting<Long> DEAD_TOKENS =
            Setting.whole(
                    "deadTokens",
                    "dead-window",
                    "TOKENS",
                    always(FeatureWindow.DEFAULT_DEAD_WINDOW_TOKENS),
                    Rule.positive(),
                    "FEATURE_DEAD after this many tokens without a fire");

    public static final Setting<Double> RARE_DENSITY =
            Setting.real(
                    "rareDensity",
                    "rare-density",
                    "DENSITY",
                    always(1e-4),
                    new Rule<>("in (0, 1)", v -> v > 0 && v < 1),
                    "FEATURE_RARE below this share of tokens, until the density exceeds"
                            + " --rare-rearm times it");

    public static final Setting<Double> REARM_FACTOR =
            Setting.real(
                    "rearmFactor",
                    "rare-rearm",
                    "FACTOR",
                    always(2.0),
                    new Rule<>(">= 1", v -> v >= 1),
                    "Upper edge of the rare band, as a multiple of --rare-density (a band, so the"
                            + " edge does not flap)");

    public static final Setting<Long> DENSITY_HORIZON_TOKENS =
            Setting.whole(
                    "densityHorizonTokens",
                    "density-horizon-tokens",
                    "TOKENS",
                    always(1_000_000L),
                    Rule.positive(),
                    "Densities are exponentially decayed counts with this horizon");

    public static final Setting<Long> MIN_TOKENS =
            Setting.whole(
                    "minTokens",
                    "judge-after-tokens",
                    "TOKENS",
                    always(20_000L),
                    Rule.nonNegative(),
                    "No feature is judged before this many tokens were seen");

    public static final Setting<Long> HYSTERESIS_TOKENS =
            Setting.whole(
                    "hysteresisTokens",
                    "alert-hysteresis-tokens",
                    "TOKENS",
                    always(100_000L),
                    Rule.nonNegative(),
                    "At most one alert per feature in this many tokens");

    public static final Setting<Double> DEAD_FRACTION_PCT =
            Setting.real(
                    "deadFractionPct",
                    "dead-fraction-pct",
                    "PCT",
                    always(20.0),
                    new Rule<>("in (0, 100]", v -> v > 0 && v <= 100),
                    "DEAD_FRACTION_HIGH above this percentage of dead features; re-armed below 80%"
                            + " of it");

    public static final Setting<Double> SATURATION =
            Setting.real(
                    "saturation",
                    "saturation-threshold",
                    "SHARE",
                    always(0.5),
                    Rule.share(),
                    "WEIGHT_SATURATED above this share of adaptive weights pinned at w_max;"
                            + " re-armed below 80% of it");

    public static final Setting<Long> WINDOW_MS =
            Setting.whole(
                    "windowMs",
                    "stats-window-ms",
                    "MS",
                    always(10_000L),
                    Rule.positive(),
                    "Length of a statistics window the encoders flush");

    public static final Setting<Long> GRACE_MS =
            Setting.whole(
                    "graceMs",
                    "stats-grace-ms",
                    "MS",
                    always(60_000L),
                    Rule.nonNegative(),
                    "How late a part of a statistics window may arrive (after a failover, say) and"
                            + " still be merged");

    public static final Setting<Integer> FVE_ROW_STRIDE =
            Setting.integer(
                    "fveRowStride",
                    "fve-row-stride",
                    "K",
                    always(16),
                    Rule.positive(),
                    "Estimate the fve on every K-th row, which keeps decoding cheap; 1 uses every"
                            + " row at a higher cost");

    /**
     * The widest block of statistics whose record stays well under the topics' 16 MiB limit: a
     * feature takes 148 bytes (fire count, sum, maximum, 16 histogram bins), so 9.7 MB.
     */
    public static final int MAX_STATS_BLOCK_FEATURES = 65_536;

    public static final Setting<Integer> STATS_BLOCK_FEATURES =
            Setting.integer(
                    "statsBlockFeatures",
                    "stats-block-features",
                    "FEATURES",
                    always(16_384), // 2.4 MB a record
                    Rule.between(1, MAX_STATS_BLOCK_FEATURES),
                    "Split the statistics of a wider dictionary (or shard) into blocks of at most"
                            + " this many features, each its own record, merged exactly by readers;"
                            + " every encoder of one SAE must use the same value");

    /**
     * Bounds that keep a block of feature contexts well under the topic's record limit: 256
     * features x 100 contexts x ~500 characters.
     */
    public static final int MAX_TOP_CONTEXTS = 100;

    public static final int MAX_CONTEXT_CHARS = 200;

    public static final Setting<Integer> TOP_CONTEXTS =
            Setting.integer(
                    "topContexts",
                    "top-contexts",
                    "K",
                    always(10), // SAE-Vis shows about as many
                    Rule.between(0, MAX_TOP_CONTEXTS),
                    "Top activating tokens kept per feature and version, with their text, for the"
                            + " dashboard's feature pages (aen.feature-contexts); 0 keeps none");

    public static final Setting<Integer> CONTEXT_CHARS =
            Setting.integer(
                    "contextChars",
                    "context-chars",
                    "CHARS",
                    always(60),
                    Rule.between(0, MAX_CONTEXT_CHARS),
                    "Characters of text kept on each side of a top token");

    public static final Setting<Double> SPLICE_SCORE_FLOOR =
            Setting.real(
                    "spliceScoreFloor",
                    "splice-score-floor",
                    "SCORE",
                    always(0.5),
                    new Rule<>("at most 1", v -> v <= 1),
                    "SPLICED_SCORE_LOW when a version's spliced score (ce_loss_score, or"
                            + " embedding_score for an embedding model) falls below this");

    public static final Setting<Long> SPLICE_MIN_TOKENS =
            Setting.whole(
                    "spliceMinTokens",
                    "splice-judge-after-tokens",
                    "TOKENS",
                    always(2_000L),
                    Rule.nonNegative(),
                    "No version's spliced score is judged before it was measured on this many"
                            + " tokens");

    public static final Setting<DriftReference> DRIFT_REFERENCE =
            Setting.choice(
                    "driftReference",
                    "drift-reference",
                    "KIND",
                    DriftReference.class,
                    DriftReference.FIRST,
                    "What feature densities are tested against: FIRST, the first"
                            + " --drift-reference-tokens after each version; ROLLING, each such"
                            + " window in turn becomes the reference of the next; PINNED, the"
                            + " first version's, kept across versions (ids compared as they"
                            + " stand)");

    public static final Setting<Long> DRIFT_REFERENCE_TOKENS =
            Setting.whole(
                    "driftReferenceTokens",
                    "drift-reference-tokens",
                    "TOKENS",
                    always(200_000L),
                    Rule.positive(),
                    "Tokens a drift reference is measured on");

    public static final Setting<Long> DRIFT_BLOCK_TOKENS =
            Setting.whole(
                    "driftBlockTokens",
                    "drift-block-tokens",
                    "TOKENS",
                    always(10_000L),
                    Rule.positive(),
                    "Drift tests are updated once per block of at least this many tokens: smaller"
                            + " blocks detect sooner and raise the threshold a little");

    public static final Setting<Double> DRIFT_RATIO =
            Setting.real(
                    "driftRatio",
                    "drift-ratio",
                    "FACTOR",
                    always(2.0),
                    new Rule<>("> 1", v -> v > 1),
                    "The change in a feature's density each drift test is built to detect: up by"
                            + " this factor, or down by it");

    public static final Setting<Double> DRIFT_FALSE_ALARMS =
            Setting.real(
                    "driftFalseAlarms",
                    "drift-false-alarms-per-million",
                    "RATE",
                    always(1.0),
                    Rule.positive(),
                    "FEATURE_DRIFT false alarms per million tokens of an unchanged stream, summed"
                            + " over every feature of the dictionary (an upper bound)");

    public static final Setting<Double> DRIFT_REFERENCE_MISS =
            Setting.real(
                    "driftReferenceMiss",
                    "drift-reference-miss",
                    "SHARE",
                    always(0.01),
                    new Rule<>("in (0, 1)", v -> v > 0 && v < 1),
                    "Chance that any feature's reference density bounds miss its true density;"
                            + " the false-alarm bound holds when none does");

    public static final Setting<Integer> DRIFT_NAMED =
            Setting.integer(
                    "driftNamed",
                    "drift-named-features",
                    "K",
                    always(5),
                    Rule.between(1, 100),
                    "Features a FEATURE_DRIFT alert's message names, most significant first (its"
                            + " feature ids hold every feature that moved)");

    /** Every monitor setting, in the order --help and docs/ list them. */
    public static final List<Setting<?>> ALL =
            List.of(
                    DEAD_TOKENS,
                    RARE_DENSITY,
                    REARM_FACTOR,
                    DENSITY_HORIZON_TOKENS,
                    MIN_TOKENS,
                    HYSTERESIS_TOKENS,
                    DEAD_FRACTION_PCT,
                    SATURATION,
                    WINDOW_MS,
                    GRACE_MS,
                    FVE_ROW_STRIDE,
                    STATS_BLOCK_FEATURES,
                    TOP_CONTEXTS,
                    CONTEXT_CHARS,
                    SPLICE_SCORE_FLOOR,
                    SPLICE_MIN_TOKENS,
                    DRIFT_REFERENCE,
                    DRIFT_REFERENCE_TOKENS,
                    DRIFT_BLOCK_TOKENS,
                    DRIFT_RATIO,
                    DRIFT_FALSE_ALARMS,
                    DRIFT_REFERENCE_MISS,
                    DRIFT_NAMED);

    public MonitorConfig {
        if (settings == null) throw new IllegalArgumentException("monitor settings are required");
        for (Setting<?> s : ALL) settings.get(s);
    }

    /**
     * Defaults: dead after the shared dead window without a fire (2,560,000 tokens), rare below
     * 1e-4, windows of 10 s.
     */
    public static MonitorConfig defaults() {
        return new MonitorConfig(SettingValues.defaults(ALL));
    }

    /** A builder on the defaults. */
    public static Builder builder() {
        return defaults().toBuilder();
    }

    /** The value of {@code setting}. */
    public <T> T get(Setting<T> setting) {
        return settings.get(setting);
    }

    /** This configuration with {@code setting} changed. */
    public MonitorConfig with(Setting<?> setting, Object value) {
        return new MonitorConfig(settings.with(setting, value));
    }

    /** A builder holding this configuration, to change several settings. */
    public Builder toBuilder() {
        return new Builder(settings);
    }

    /** Changes settings, each checked against its rule as it is set. */
    public static final class Builder {
        private SettingValues settings;

        private Builder(SettingValues settings) {
            this.settings = settings;
        }

        public Builder set(Setting<?> setting, Object value) {
            settings = settings.with(setting, value);
            return this;
        }

        public MonitorConfig build() {
            return new MonitorConfig(settings);
        }
    }
}
