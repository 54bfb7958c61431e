package dev.aenstream.cli.options;

import dev.aenstream.monitor.ModelAlertThresholds;
import dev.aenstream.monitor.MonitorConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Statistics and starvation-monitor settings of the encode application. */
public final class MonitorOptions {
    @Option(
            names = "--no-stats",
            description = "Encode only: no per-feature statistics, no starvation monitor.")
    boolean noStats;

    @Option(
            names = "--stats-window-ms",
            paramLabel = "MS",
            description = "Length of a statistics window (default: ${DEFAULT-VALUE}).")
    long windowMs = MonitorConfig.DEFAULT_WINDOW_MS;

    @Option(
            names = "--stats-grace-ms",
            paramLabel = "MS",
            description =
                    "How late a part of a statistics window may arrive (after a failover, say) and"
                            + " still be merged (default: ${DEFAULT-VALUE}).")
    long graceMs = MonitorConfig.DEFAULT_GRACE_MS;

    @Option(
            names = "--fve-row-stride",
            paramLabel = "K",
            description =
                    "Estimate the fve on every K-th row; 1 uses every row at a higher cost"
                            + " (default: ${DEFAULT-VALUE}).")
    int fveRowStride = MonitorConfig.DEFAULT_FVE_ROW_STRIDE;

    @Option(
            names = {"--dead-window", "--dead-tokens"},
            paramLabel = "TOKENS",
            description =
                    "FEATURE_DEAD after this many tokens without a fire (default:"
                            + " ${DEFAULT-VALUE}).")
    long deadTokens = MonitorConfig.DEFAULT_DEAD_TOKENS;

    @Option(
            names = "--rare-density",
            paramLabel = "DENSITY",
            description =
                    "FEATURE_RARE below this share of tokens, until the density exceeds"
                            + " --rare-rearm times it (default: ${DEFAULT-VALUE}).")
    double rareDensity = MonitorConfig.DEFAULT_RARE_DENSITY;

    @Option(
            names = "--rare-rearm",
            paramLabel = "FACTOR",
            description =
                    "Upper edge of the rare band, as a multiple of --rare-density (default:"
                            + " ${DEFAULT-VALUE}).")
    double rearm = MonitorConfig.DEFAULT_RARE_REARM_FACTOR;

    @Option(
            names = "--alert-hysteresis-tokens",
            paramLabel = "TOKENS",
            description =
                    "At most one alert per feature in this many tokens (default:"
                            + " ${DEFAULT-VALUE}).")
    long hysteresisTokens = MonitorConfig.DEFAULT_HYSTERESIS_TOKENS;

    @Option(
            names = "--top-contexts",
            paramLabel = "K",
            description =
                    "Top activating tokens kept per feature and version, with their text, for the"
                            + " dashboard's feature pages (aen.feature-contexts); 0 keeps none"
                            + " (default: ${DEFAULT-VALUE}).")
    int topContexts = MonitorConfig.DEFAULT_TOP_CONTEXTS;

    @Option(
            names = "--context-chars",
            paramLabel = "CHARS",
            description =
                    "Characters of text kept on each side of a top token (default:"
                            + " ${DEFAULT-VALUE}).")
    int contextChars = MonitorConfig.DEFAULT_CONTEXT_CHARS;

    @Mixin ModelAlertOptions modelAlerts;

    public ModelAlertThresholds modelAlerts() {
        return modelAlerts.thresholds();
    }

    /** The monitor settings, or null with --no-stats. */
    public MonitorConfig config() {
        if (noStats) return null;
        return MonitorConfig.builder()
                .deadTokens(deadTokens)
                .rareDensity(rareDensity)
                .rearmFactor(rearm)
                .hysteresisTokens(hysteresisTokens)
                .modelAlerts(modelAlerts.thresholds())
                .windowMs(windowMs)
                .graceMs(graceMs)
                .fveRowStride(fveRowStride)
                .topContexts(topContexts)
                .contextChars(contextChars)
                .build();
    }
}
