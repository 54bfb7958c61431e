package dev.aenstream.chaos;

import java.nio.file.Path;

/**
 * What a chaos soak runs: how long, on which seed and folder, at which shape and rate, and how
 * often faults come.
 *
 * @param durationSeconds how long faults are injected
 * @param seed decides the rows, the targets and the moments
 * @param workDir the brokers', encoders' and trainer's folders and logs
 * @param minGapSeconds least wait between one recovery and the next fault
 * @param maxGapSeconds most wait between one recovery and the next fault
 * @param minFaults faults to inject at least: the soak goes on past the duration until then
 * @param networkFaultSeconds how long a slow link or a partition lasts
 * @param secure brokers speak SASL_SSL with ACLs, each component as its own principal
 * @param signed the trainer signs its versions, encoders trust only its key, and a version signed
 *     by another key is published to be refused
 */
public record ChaosSettings(
        long durationSeconds,
        long seed,
        Path workDir,
        int n,
        int dSae,
        int rowsPerBatch,
        double batchesPerSecond,
        double minGapSeconds,
        double maxGapSeconds,
        int minFaults,
        double networkFaultSeconds,
        boolean secure,
        boolean signed) {
    public ChaosSettings {
        if (durationSeconds <= 0) throw new IllegalArgumentException("--duration must be positive");
        if (minGapSeconds < 0 || maxGapSeconds < minGapSeconds)
            throw new IllegalArgumentException("the gap between faults must be 0 <= min <= max");
        if (networkFaultSeconds <= 0)
            throw new IllegalArgumentException("--network-fault must be positive");
    }
}
