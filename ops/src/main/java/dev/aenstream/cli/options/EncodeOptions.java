package dev.aenstream.cli.options;

import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.RecordLimits;
import dev.aenstream.sae.DictionaryShard;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Kafka Streams settings of the encode application. */
public final class EncodeOptions {
    @Option(
            names = "--application-id",
            paramLabel = "ID",
            description =
                    "Kafka Streams application id; instances with the same id share the partitions"
                            + " (default: ${DEFAULT-VALUE}).")
    String applicationId = EncodeConfig.DEFAULT_APPLICATION_ID;

    @Option(
            names = "--processing-guarantee",
            paramLabel = "GUARANTEE",
            description = "exactly_once_v2 or at_least_once (default: ${DEFAULT-VALUE}).")
    String processingGuarantee = EncodeConfig.DEFAULT_GUARANTEE;

    @Option(
            names = "--stream-threads",
            paramLabel = "THREADS",
            description = "Kafka Streams threads in this instance (default: ${DEFAULT-VALUE}).")
    int streamThreads = EncodeConfig.DEFAULT_STREAM_THREADS;

    @Option(
            names = "--commit-interval-ms",
            paramLabel = "MS",
            description =
                    "How often progress is committed; under exactly-once also how late codes become"
                            + " visible (default: ${DEFAULT-VALUE}).")
    long commitIntervalMs = EncodeConfig.DEFAULT_COMMIT_INTERVAL_MS;

    @Option(
            names = "--state-dir",
            paramLabel = "DIR",
            description =
                    "Kafka Streams state directory; kept across restarts so stores need not be"
                            + " rebuilt (default: ${DEFAULT-VALUE}).")
    Path stateDir = Path.of("data/streams");

    @Option(
            names = "--max-record-values",
            paramLabel = "VALUES",
            description =
                    "The most values (rows x n) one activation record may declare; a larger one"
                            + " becomes a TOO_LARGE dead letter before memory is reserved for it"
                            + " (default: ${DEFAULT-VALUE}).")
    long maxRecordValues = RecordLimits.DEFAULT_MAX_RECORD_VALUES;

    @Option(
            names = "--shard",
            paramLabel = "i/S",
            converter = ShardConverter.class,
            description =
                    "Serve shard i of S of each SAE's dictionary, features [i*D/S, (i+1)*D/S): S"
                            + " instances (or GPUs) split one dictionary too large for one. Each"
                            + " shard reads every row, as application ID-shard-i-of-S; codes name"
                            + " their shard and use global feature ids, the statistics and the"
                            + " monitor work per shard, and readers merge them (default: the whole"
                            + " dictionary).")
    DictionaryShard shard = DictionaryShard.WHOLE;

    public DictionaryShard shard() {
        return shard;
    }

    /** Reads {@code i/S}. */
    static final class ShardConverter
            implements picocli.CommandLine.ITypeConverter<DictionaryShard> {
        @Override
        public DictionaryShard convert(String value) {
            try {
                return DictionaryShard.parse(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** The settings without statistics; add them with {@link EncodeConfig#withMonitor}. */
    public EncodeConfig config(Topics topics, short replicationFactor) throws java.io.IOException {
        Path dir = stateDir;
        Files.createDirectories(dir);
        return EncodeConfig.defaults(topics, dir).toBuilder()
                .applicationId(applicationId)
                .streamThreads(streamThreads)
                .processingGuarantee(processingGuarantee)
                .commitIntervalMs(commitIntervalMs)
                .monitor(null)
                .replicationFactor(replicationFactor)
                .limits(new RecordLimits(maxRecordValues, Topics.MAX_MESSAGE_BYTES))
                .shard(shard)
                .build();
    }
}
