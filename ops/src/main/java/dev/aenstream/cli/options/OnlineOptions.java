package dev.aenstream.cli.options;

import dev.aenstream.avro.Topics;
import dev.aenstream.online.OnlineTrainerConfig;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** How the online trainer reads, publishes, checkpoints and alerts. */
public final class OnlineOptions {
    @Mixin SigningOptions signing;

    @Option(
            names = "--group-id",
            paramLabel = "ID",
            description =
                    "Consumer group the trainer commits its progress under (default:"
                            + " ${DEFAULT-VALUE}).")
    String groupId = OnlineTrainerConfig.DEFAULT_GROUP;

    @Option(
            names = "--publish-every",
            paramLabel = "STEPS",
            description =
                    "Steps between versions published to the models topic (default:"
                            + " ${DEFAULT-VALUE}).")
    long publishEvery = OnlineTrainerConfig.DEFAULT_PUBLISH_EVERY;

    @Option(
            names = "--metrics-every",
            paramLabel = "STEPS",
            description =
                    "Steps between trainer-metrics records and starvation checks (default:"
                            + " ${DEFAULT-VALUE}).")
    long metricsEvery = OnlineTrainerConfig.DEFAULT_METRICS_EVERY;

    @Option(
            names = "--shuffle-rows",
            paramLabel = "ROWS",
            description =
                    "Rows in the shuffle buffer batches are drawn from; 0 trains in arrival order"
                            + " (default: ${DEFAULT-VALUE}).")
    int shuffleRows = OnlineTrainerConfig.DEFAULT_SHUFFLE_ROWS;

    @Option(
            names = "--normalise",
            description =
                    "Rescale rows to L2 norm sqrt(n) before training, and in the published"
                            + " encoders.")
    boolean normalise;

    @Mixin KMaxOption kMax;

    @Mixin WeightsOption weights;

    @Mixin BindingOptions binding;

    @Option(
            names = "--idle-exit",
            paramLabel = "SECONDS",
            description =
                    "Stop (with a checkpoint) after this long without new activations; 0 runs until"
                            + " Ctrl-C (default: ${DEFAULT-VALUE}).")
    double idleExitSeconds = OnlineTrainerConfig.DEFAULT_IDLE_EXIT_MS / 1000.0;

    public OnlineTrainerConfig config(Topics topics, Path checkpointDir, long checkpointEvery) {
        return OnlineTrainerConfig.builder(topics)
                .groupId(groupId)
                .checkpointDir(checkpointDir)
                .checkpointEvery(checkpointEvery)
                .publishEvery(publishEvery)
                .metricsEvery(metricsEvery)
                .shuffleRows(shuffleRows)
                .normalise(normalise)
                .kMax(kMax.kMax())
                .weights(weights.weights())
                .source(binding.binding())
                .idleExitMs((long) (idleExitSeconds * 1000))
                .signingKeys(signing.keys())
                .build();
    }
}
