package dev.aenstream.ops;

import dev.aenstream.avro.Topics;
import dev.aenstream.train.OnlineTrainerConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How the online trainer reads, publishes, checkpoints and alerts. */
public final class OnlineOptions {
    @Option(names = "--group-id", paramLabel = "ID", defaultValue = OnlineTrainerConfig.DEFAULT_GROUP,
            description = "Consumer group the trainer commits its progress under (default: ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--publish-every", paramLabel = "STEPS", defaultValue = "500",
            description = "Steps between versions published to the models topic (default: ${DEFAULT-VALUE}).")
    long publishEvery;

    @Option(names = "--metrics-every", paramLabel = "STEPS", defaultValue = "100",
            description = "Steps between trainer-metrics records and starvation checks (default: ${DEFAULT-VALUE}).")
    long metricsEvery;

    @Option(names = "--shuffle-rows", paramLabel = "ROWS", defaultValue = "0",
            description = "Rows in the shuffle buffer batches are drawn from; 0 trains in arrival order (default: ${DEFAULT-VALUE}).")
    int shuffleRows;

    @Option(names = "--normalise", description = "Rescale rows to L2 norm sqrt(n) before training, and in the published encoders.")
    boolean normalise;

    @Option(names = "--k-max", paramLabel = "K_MAX", defaultValue = "128",
            description = "Top-k cut of published encoders (TopK SAEs use their k) (default: ${DEFAULT-VALUE}).")
    int kMax;

    @Option(names = "--dead-alert-pct", paramLabel = "PCT", defaultValue = "20",
            description = "Dead share above which a DEAD_FRACTION_HIGH alert goes out (default: ${DEFAULT-VALUE}).")
    double deadAlertPct;

    @Option(names = "--saturation-alert", paramLabel = "SHARE", defaultValue = "0.5",
            description = "Share of weights pinned at w_max above which WEIGHT_SATURATED goes out (default: ${DEFAULT-VALUE}).")
    double saturationAlert;

    @Option(names = "--idle-exit", paramLabel = "SECONDS", defaultValue = "0",
            description = "Stop (with a checkpoint) after this long without new activations; 0 runs until Ctrl-C (default: ${DEFAULT-VALUE}).")
    double idleExitSeconds;

    OnlineTrainerConfig config(Topics topics, Path checkpointDir, long checkpointEvery) {
        return new OnlineTrainerConfig(topics, groupId, checkpointDir, checkpointEvery, publishEvery, metricsEvery, shuffleRows,
                normalise, kMax, deadAlertPct, saturationAlert, (long) (idleExitSeconds * 1000));
    }
}
