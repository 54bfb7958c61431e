package dev.aenstream.ops;

import dev.aenstream.monitor.MonitorConfig;
import picocli.CommandLine.Option;

/** Statistics and starvation-monitor settings of the encode application. */
public final class MonitorOptions {
    @Option(names = "--no-stats", description = "Encode only: no per-feature statistics, no starvation monitor.")
    boolean noStats;

    @Option(names = "--stats-window-ms", paramLabel = "MS", defaultValue = "" + MonitorConfig.DEFAULT_WINDOW_MS,
            description = "Length of a statistics window (default: ${DEFAULT-VALUE}).")
    long windowMs;

    @Option(names = "--stats-grace-ms", paramLabel = "MS", defaultValue = "" + MonitorConfig.DEFAULT_GRACE_MS,
            description = "How late a part of a statistics window may arrive (after a failover, say) and still be merged (default: ${DEFAULT-VALUE}).")
    long graceMs;

    @Option(names = "--fve-row-stride", paramLabel = "K", defaultValue = "" + MonitorConfig.DEFAULT_FVE_ROW_STRIDE,
            description = "Estimate the fve on every K-th row; 1 uses every row at a higher cost (default: ${DEFAULT-VALUE}).")
    int fveRowStride;

    @Option(names = "--dead-tokens", paramLabel = "TOKENS", defaultValue = "" + MonitorConfig.DEFAULT_DEAD_TOKENS,
            description = "FEATURE_DEAD after this many tokens without a fire (default: ${DEFAULT-VALUE}).")
    long deadTokens;

    @Option(names = "--rare-density", paramLabel = "DENSITY", defaultValue = MonitorConfig.DEFAULT_RARE_DENSITY,
            description = "FEATURE_RARE below this share of tokens, until the density exceeds --rare-rearm times it (default: ${DEFAULT-VALUE}).")
    double rareDensity;

    @Option(names = "--rare-rearm", paramLabel = "FACTOR", defaultValue = MonitorConfig.DEFAULT_RARE_REARM_FACTOR,
            description = "Upper edge of the rare band, as a multiple of --rare-density (default: ${DEFAULT-VALUE}).")
    double rearm;

    @Option(names = "--alert-hysteresis-tokens", paramLabel = "TOKENS", defaultValue = "" + MonitorConfig.DEFAULT_HYSTERESIS_TOKENS,
            description = "At most one alert per feature in this many tokens (default: ${DEFAULT-VALUE}).")
    long hysteresisTokens;

    @Option(names = "--dead-fraction-pct", paramLabel = "PCT", defaultValue = MonitorConfig.DEFAULT_DEAD_FRACTION_PCT,
            description = "DEAD_FRACTION_HIGH above this share of dead features (default: ${DEFAULT-VALUE}).")
    double deadFractionPct;

    @Option(names = "--saturation-threshold", paramLabel = "SHARE", defaultValue = MonitorConfig.DEFAULT_SATURATION,
            description = "WEIGHT_SATURATED above this share of weights at w_max, from trainer metrics (default: ${DEFAULT-VALUE}).")
    double saturation;

    /** The monitor settings, or null with --no-stats. */
    MonitorConfig config() {
        if (noStats) return null;
        return new MonitorConfig(deadTokens, rareDensity, rearm, MonitorConfig.DEFAULT_HORIZON_TOKENS, MonitorConfig.DEFAULT_MIN_TOKENS, hysteresisTokens,
                deadFractionPct, saturation, windowMs, graceMs, fveRowStride);
    }
}
