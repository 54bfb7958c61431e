package dev.aenstream.encode;

import dev.aenstream.avro.Topics;
import dev.aenstream.monitor.MonitorConfig;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings of the encode application: its Kafka Streams application id (every instance with the
 * same id shares the partitions), stream threads, processing guarantee, commit interval, the
 * monitor's settings (null: no statistics), and the replication of its internal topics (changelogs,
 * repartitions).
 */
public record EncodeConfig(
        String applicationId,
        Topics topics,
        int streamThreads,
        String processingGuarantee,
        long commitIntervalMs,
        Path stateDir,
        MonitorConfig monitor,
        short replicationFactor) {
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
    }

    public static EncodeConfig defaults(Topics topics, Path stateDir) {
        return new EncodeConfig(
                DEFAULT_APPLICATION_ID,
                topics,
                DEFAULT_STREAM_THREADS,
                DEFAULT_GUARANTEE,
                DEFAULT_COMMIT_INTERVAL_MS,
                stateDir,
                MonitorConfig.defaults(),
                BROKER_DEFAULT_REPLICATION);
    }

    public EncodeConfig withApplicationId(String id) {
        return new EncodeConfig(
                id,
                topics,
                streamThreads,
                processingGuarantee,
                commitIntervalMs,
                stateDir,
                monitor,
                replicationFactor);
    }

    public EncodeConfig withStreamThreads(int threads) {
        return new EncodeConfig(
                applicationId,
                topics,
                threads,
                processingGuarantee,
                commitIntervalMs,
                stateDir,
                monitor,
                replicationFactor);
    }

    public EncodeConfig withProcessingGuarantee(String guarantee) {
        return new EncodeConfig(
                applicationId,
                topics,
                streamThreads,
                guarantee,
                commitIntervalMs,
                stateDir,
                monitor,
                replicationFactor);
    }

    /** With other monitor settings; null turns statistics and monitoring off. */
    public EncodeConfig withMonitor(MonitorConfig m) {
        return new EncodeConfig(
                applicationId,
                topics,
                streamThreads,
                processingGuarantee,
                commitIntervalMs,
                stateDir,
                m,
                replicationFactor);
    }

    /** Kafka Streams properties for a cluster. */
    public Properties streamsProperties(String bootstrapServers) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
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
