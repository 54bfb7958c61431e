package dev.aenstream.chaos;

import java.nio.file.Path;

/**
 * What a long soak runs: how long, how often it samples and swaps versions, at which rate and
 * shape, and where its processes keep their data and logs.
 *
 * @param durationSeconds how long the pipeline runs under observation
 * @param sampleSeconds seconds between two samples of every process
 * @param warmUpSeconds samples before this are shown but left out of the slopes (JIT, caches, first
 *     versions)
 * @param swapSeconds about how often the trainer publishes a version of each SAE
 * @param rowsPerSecond activation rows produced per second
 * @param workDir the broker's, encoder's and trainer's folders and every process's log
 */
public record SoakSettings(
        long durationSeconds,
        double sampleSeconds,
        double warmUpSeconds,
        double swapSeconds,
        double rowsPerSecond,
        int n,
        int dSae,
        int batch,
        Path workDir) {
    public SoakSettings {
        if (durationSeconds <= 0) throw new IllegalArgumentException("--duration must be positive");
        if (sampleSeconds <= 0)
            throw new IllegalArgumentException("--sample-every must be positive");
        if (warmUpSeconds < 0 || warmUpSeconds >= durationSeconds)
            throw new IllegalArgumentException("--warm-up must be in [0, --duration)");
        if (swapSeconds <= 0) throw new IllegalArgumentException("--swap-every must be positive");
        if (rowsPerSecond <= 0) throw new IllegalArgumentException("--rate must be positive");
    }

    /** Trainer steps between versions so that one comes about every {@link #swapSeconds}. */
    long publishEverySteps() {
        return Math.max(1, Math.round(swapSeconds * rowsPerSecond / batch));
    }
}
