package dev.aenstream.train;

import dev.aenstream.avro.Topics;
import java.nio.file.Path;

/**
 * How the online trainer runs: its consumer group, the checkpoint directory and cadence, how often it
 * publishes versions and metrics, the shuffle buffer, the encoders' top-k cut, alert thresholds, and
 * when it stops on its own.
 *
 * @param idleExitMs stop after this long without new records; 0 runs until stopped
 */
public record OnlineTrainerConfig(Topics topics, String groupId, Path checkpointDir, long checkpointEvery, long publishEvery,
                                  long metricsEvery, int shuffleRows, boolean normalise, int kMax, double deadFractionAlertPct,
                                  double saturationAlert, long idleExitMs) {
    public static final String DEFAULT_GROUP = "aen-trainer";

    public OnlineTrainerConfig {
        if (topics == null || groupId == null || groupId.isBlank()) throw new IllegalArgumentException("topics and group id are required");
        if (checkpointEvery <= 0 || publishEvery <= 0 || metricsEvery <= 0) {
            throw new IllegalArgumentException("checkpoint, publish and metrics intervals must be positive");
        }
        if (shuffleRows < 0 || kMax <= 0) throw new IllegalArgumentException("shuffle >= 0 and k_max > 0 required");
        if (!(deadFractionAlertPct > 0 && deadFractionAlertPct <= 100)) throw new IllegalArgumentException("dead alert threshold must be in (0, 100]");
        if (!(saturationAlert > 0 && saturationAlert <= 1)) throw new IllegalArgumentException("saturation alert threshold must be in (0, 1]");
        if (idleExitMs < 0) throw new IllegalArgumentException("idle exit must be >= 0");
    }
}
