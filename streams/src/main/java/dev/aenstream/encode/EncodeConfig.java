package dev.aenstream.encode;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.sae.DictionaryShard;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings of the encode application. {@link #defaults} gives the defaults (the constants below);
 * {@link #toBuilder} and the {@code with} methods change fields by name.
 *
 * @param applicationId Kafka Streams application id: every instance with the same id shares the
 *     partitions
 * @param topics the topic set it reads and writes
 * @param streamThreads Kafka Streams threads of this instance
 * @param processingGuarantee exactly_once_v2 or at_least_once
 * @param commitIntervalMs how often Kafka Streams commits (and, under exactly-once, ends a
 *     transaction)
 * @param stateDir where the state stores live
 * @param monitor the statistics and starvation monitor; null encodes only
 * @param replicationFactor replication of the internal topics (changelogs, repartitions); -1 takes
 *     the broker's default
 * @param limits how large a record it takes and writes
 * @param shard the slice of each dictionary this application serves; each shard is an application
 *     of its own ({@link #streamsApplicationId}), as every shard must see every row
 */
public record EncodeConfig(
        String applicationId,
        Topics topics,
        int streamThreads,
        String processingGuarantee,
        long commitIntervalMs,
        Path stateDir,
        MonitorConfig monitor,
        short replicationFactor,
        RecordLimits limits,
        DictionaryShard shard) {
    public static final String DEFAULT_APPLICATION_ID = "aen-encode";
    public static final int DEFAULT_STREAM_THREADS = 1;
    public static final String DEFAULT_GUARANTEE = StreamsConfig.EXACTLY_ONCE_V2;
    public static final long DEFAULT_COMMIT_INTERVAL_MS = 200;

    /** Kafka Streams' internal topics take the broker's default.replication.factor. */
    public static final short BROKER_DEFAULT_REPLICATION = -1;

    private static final Set<String> GUARANTEES =
            Set.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE);

    public EncodeConfig {
        if (applicationId == null || applicationId.isBlank())
            throw new IllegalArgumentException("application id is required");
        if (topics == null) throw new IllegalArgumentException("topics are required");
        if (streamThreads <= 0)
            throw new IllegalArgumentException(
                    "stream threads must be positive, got " + streamThreads);
        if (!GUARANTEES.contains(processingGuarantee)) {
            throw new IllegalArgumentException(
                    "processing guarantee must be one of "
                            + GUARANTEES
                            + ", got "
                            + processingGuarantee);
        }
        if (commitIntervalMs <= 0)
            throw new IllegalArgumentException("commit interval must be positive");
        if (replicationFactor == 0 || replicationFactor < -1)
            throw new IllegalArgumentException(
                    "replication factor must be positive or -1 (broker default)");
        if (limits == null) throw new IllegalArgumentException("record limits are required");
        if (shard == null) throw new IllegalArgumentException("a shard is required");
    }

    /**
     * The Kafka Streams application id: the given one, or for a shard {@code ID-shard-i-of-S}, so
     * that shards do not share partitions (each reads every row) and instances of one shard do.
     */
    public String streamsApplicationId() {
        return shard.count() == 1
                ? applicationId
                : applicationId + "-shard-" + shard.index() + "-of-" + shard.count();
    }

    /** The defaults, for {@code topics} with state under {@code stateDir}. */
    public static EncodeConfig defaults(Topics topics, Path stateDir) {
        return new Builder(topics, stateDir).build();
    }

    /** A builder holding this configuration, to change fields by name. */
    public Builder toBuilder() {
        return new Builder(topics, stateDir)
                .applicationId(applicationId)
                .streamThreads(streamThreads)
                .processingGuarantee(processingGuarantee)
                .commitIntervalMs(commitIntervalMs)
                .monitor(monitor)
                .replicationFactor(replicationFactor)
                .limits(limits)
                .shard(shard);
    }

    public EncodeConfig withApplicationId(String id) {
        return toBuilder().applicationId(id).build();
    }

    public EncodeConfig withStreamThreads(int threads) {
        return toBuilder().streamThreads(threads).build();
    }

    public EncodeConfig withProcessingGuarantee(String guarantee) {
        return toBuilder().processingGuarantee(guarantee).build();
    }

    /** With other monitor settings; null turns statistics and monitoring off. */
    public EncodeConfig withMonitor(MonitorConfig m) {
        return toBuilder().monitor(m).build();
    }

    /** Sets fields by name, starting from the defaults; {@link #build} validates. */
    public static final class Builder {
        private final Topics topics;
        private final Path stateDir;
        private String applicationId = DEFAULT_APPLICATION_ID;
        private int streamThreads = DEFAULT_STREAM_THREADS;
        private String processingGuarantee = DEFAULT_GUARANTEE;
        private long commitIntervalMs = DEFAULT_COMMIT_INTERVAL_MS;
        private MonitorConfig monitor = MonitorConfig.defaults();
        private short replicationFactor = BROKER_DEFAULT_REPLICATION;
        private RecordLimits limits = RecordLimits.defaults();
        private DictionaryShard shard = DictionaryShard.WHOLE;

        private Builder(Topics topics, Path stateDir) {
            this.topics = topics;
            this.stateDir = stateDir;
        }

        public Builder applicationId(String v) {
            applicationId = v;
            return this;
        }

        public Builder streamThreads(int v) {
            streamThreads = v;
            return this;
        }

        public Builder processingGuarantee(String v) {
            processingGuarantee = v;
            return this;
        }

        public Builder commitIntervalMs(long v) {
            commitIntervalMs = v;
            return this;
        }

        public Builder monitor(MonitorConfig v) {
            monitor = v;
            return this;
        }

        public Builder replicationFactor(short v) {
            replicationFactor = v;
            return this;
        }

        public Builder limits(RecordLimits v) {
            limits = v;
            return this;
        }

        public Builder shard(DictionaryShard v) {
            shard = v;
            return this;
        }

        public EncodeConfig build() {
            return new EncodeConfig(
                    applicationId,
                    topics,
                    streamThreads,
                    processingGuarantee,
                    commitIntervalMs,
                    stateDir,
                    monitor,
                    replicationFactor,
                    limits,
                    shard);
        }
    }

    /** Kafka Streams properties for a cluster. */
    public Properties streamsProperties(KafkaConnection connection) {
        Properties p = connection.client();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, streamsApplicationId());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replicationFactor);
        // Opt in now to the behaviour Kafka 5.0 makes the default.
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        p.put(
                StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                Topics.MAX_MESSAGE_BYTES);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // A batch of wide rows is large: fetch fewer records per poll, so one poll's work fits a
        // commit interval.
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 50);
        return p;
    }
}
