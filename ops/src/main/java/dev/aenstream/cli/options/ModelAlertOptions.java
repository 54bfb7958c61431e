package dev.aenstream.cli.options;

import dev.aenstream.monitor.ModelAlertThresholds;
import picocli.CommandLine.Option;

/** Thresholds of the model-level alerts, the same flags on every command that raises them. */
public final class ModelAlertOptions {
    @Option(
            names = "--dead-fraction-pct",
            paramLabel = "PCT",
            description =
                    "DEAD_FRACTION_HIGH above this percentage of dead features; re-armed below 80%%"
                            + " of it (default: ${DEFAULT-VALUE}).")
    double deadFractionPct = ModelAlertThresholds.DEFAULT_DEAD_FRACTION_PCT;

    @Option(
            names = "--saturation-threshold",
            paramLabel = "SHARE",
            description =
                    "WEIGHT_SATURATED above this share of adaptive weights pinned at w_max;"
                            + " re-armed below 80%% of it (default: ${DEFAULT-VALUE}).")
    double saturation = ModelAlertThresholds.DEFAULT_SATURATION;

    public ModelAlertThresholds thresholds() {
        return new ModelAlertThresholds(deadFractionPct, saturation);
    }
}
