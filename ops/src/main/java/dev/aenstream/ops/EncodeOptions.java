package dev.aenstream.ops;

import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Kafka Streams settings of the encode application. */
public final class EncodeOptions {
    @Option(names = "--application-id", paramLabel = "ID", defaultValue = EncodeConfig.DEFAULT_APPLICATION_ID,
            description = "Kafka Streams application id; instances with the same id share the partitions (default: ${DEFAULT-VALUE}).")
    String applicationId;

    @Option(names = "--processing-guarantee", paramLabel = "GUARANTEE", defaultValue = EncodeConfig.DEFAULT_GUARANTEE,
            description = "exactly_once_v2 or at_least_once (default: ${DEFAULT-VALUE}).")
    String processingGuarantee;

    @Option(names = "--stream-threads", paramLabel = "THREADS", defaultValue = "" + EncodeConfig.DEFAULT_STREAM_THREADS,
            description = "Kafka Streams threads in this instance (default: ${DEFAULT-VALUE}).")
    int streamThreads;

    @Option(names = "--commit-interval-ms", paramLabel = "MS", defaultValue = "" + EncodeConfig.DEFAULT_COMMIT_INTERVAL_MS,
            description = "How often progress is committed; under exactly-once also how late codes become visible (default: ${DEFAULT-VALUE}).")
    long commitIntervalMs;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "data/streams",
            description = "Kafka Streams state directory; kept across restarts so stores need not be rebuilt (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    /** The settings without statistics; add them with {@link EncodeConfig#withMonitor}. */
    EncodeConfig config(Topics topics, short replicationFactor) throws java.io.IOException {
        Path dir = stateDir;
        Files.createDirectories(dir);
        return new EncodeConfig(applicationId, topics, streamThreads, processingGuarantee, commitIntervalMs, dir, null, replicationFactor);
    }
}
