package dev.aenstream.encode;

import static dev.aenstream.sae.setting.Setting.Defaults.always;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.Setting.Rule;
import dev.aenstream.sae.setting.SettingValues;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings of the encode application: the topics it reads and writes, a value for each {@link
 * Setting} in {@link #ALL} (declared once below with flag, default, rule and doc), and what the
 * command line gives apart from them.
 *
 * @param topics the topic set it reads and writes
 * @param settings the application id, threads, guarantee, commit interval, state directory and
 *     record size limit
 * @param monitor the statistics and starvation monitor; null encodes only
 * @param replicationFactor replication of the internal topics (changelogs, repartitions); -1 takes
 *     the broker's default
 * @param maxRecordBytes the largest record the codes and dead-letter topics take
 * @param shard the slice of each dictionary this application serves; each shard is an application
 *     of its own ({@link #streamsApplicationId}), as every shard must see every row
 */
public record EncodeConfig(
        Topics topics,
        SettingValues settings,
        MonitorConfig monitor,
        short replicationFactor,
        int maxRecordBytes,
        DictionaryShard shard) {
    /** {@link #TRANSACTION_TIMEOUT_MS} of 0: sized by the widest SAE served at the start. */
    public static final long AUTO = 0;

    /** Kafka Streams' own transaction timeout, enough for every dictionary up to this width. */
    static final long BASE_TRANSACTION_TIMEOUT_MS = 10_000;

    static final int FEATURES_PER_BASE_TIMEOUT = 16_384;

    /** The brokers' default transaction.max.timeout.ms. */
    static final long MAX_TRANSACTION_TIMEOUT_MS = 900_000;

    public static final Setting<String> APPLICATION_ID =
            Setting.text(
                    "applicationId",
                    "application-id",
                    "ID",
                    "aen-encode",
                    Rule.present(),
                    "Kafka Streams application id; instances with the same id share the"
                            + " partitions");

    public static final Setting<String> PROCESSING_GUARANTEE =
            Setting.text(
                    "processingGuarantee",
                    "processing-guarantee",
                    "GUARANTEE",
                    StreamsConfig.EXACTLY_ONCE_V2,
                    Rule.oneOf(
                            new TreeSet<>(
                                    Set.of(
                                            StreamsConfig.EXACTLY_ONCE_V2,
                                            StreamsConfig.AT_LEAST_ONCE))),
                    "exactly_once_v2 or at_least_once");

    public static final Setting<Integer> STREAM_THREADS =
            Setting.integer(
                    "streamThreads",
                    "stream-threads",
                    "THREADS",
                    always(1),
                    Rule.positive(),
                    "Kafka Streams threads in this instance");

    public static final Setting<Long> COMMIT_INTERVAL_MS =
            Setting.whole(
                    "commitIntervalMs",
                    "commit-interval-ms",
                    "MS",
                    always(200L),
                    Rule.positive(),
                    "How often progress is committed; under exactly-once also how late codes"
                            + " become visible");

    public static final Setting<Long> TRANSACTION_TIMEOUT_MS =
            Setting.whole(
                    "transactionTimeoutMs",
                    "transaction-timeout-ms",
                    "MS",
                    always(AUTO),
                    Rule.between(0, MAX_TRANSACTION_TIMEOUT_MS),
                    "Under exactly-once, how long a transaction may stay open: longer than"
                            + " encoding one record with every SAE, or the broker aborts it and the"
                            + " record is encoded again and again; also how long readers wait on an"
                            + " instance that died mid-transaction. 0: 10 s, and 10 s more per"
                            + " 16,384 features of the widest SAE served when the encoder starts."
                            + " At most the brokers' transaction.max.timeout.ms (15 minutes by"
                            + " default)");

    public static final Setting<Path> STATE_DIR =
            Setting.path(
                    "stateDir",
                    "state-dir",
                    "DIR",
                    Path.of("data", "streams"),
                    "Kafka Streams state directory; kept across restarts so stores need not be"
                            + " rebuilt");

    public static final Setting<Long> MAX_RECORD_VALUES =
            Setting.whole(
                    "maxRecordValues",
                    "max-record-values",
                    "VALUES",
                    // A 64 MiB float32 input buffer, four times a full 16 MiB float32 record.
                    always(1L << 24),
                    Rule.positive(),
                    "The most values (rows x n) one activation record may declare; a larger one"
                            + " becomes a TOO_LARGE dead letter before memory is reserved for it");

    /** Every encode setting, in the order --help and docs/ list them. */
    public static final List<Setting<?>> ALL =
            List.of(
                    APPLICATION_ID,
                    PROCESSING_GUARANTEE,
                    STREAM_THREADS,
                    COMMIT_INTERVAL_MS,
                    TRANSACTION_TIMEOUT_MS,
                    STATE_DIR,
                    MAX_RECORD_VALUES);

    /**
     * The transaction timeout for SAEs as wide as {@code widestD}: the one set, or (auto) Kafka
     * Streams' 10 s per 16,384 features, so that a wide dictionary's record fits a transaction
     * while a narrow one's encoder that dies holds readers up for no longer than it did before.
     */
    public long transactionTimeoutMs(int widestD) {
        long set = get(TRANSACTION_TIMEOUT_MS);
        if (set != AUTO) return set;
        long blocks = Math.max(1, -Math.floorDiv(-(long) widestD, FEATURES_PER_BASE_TIMEOUT));
        return Math.min(MAX_TRANSACTION_TIMEOUT_MS, BASE_TRANSACTION_TIMEOUT_MS * blocks);
    }

    /** The consumer's own default, kept unless transactions may last longer. */
    private static final long MAX_POLL_INTERVAL_MS = 300_000;

    /** Kafka Streams' internal topics take the broker's default.replication.factor. */
    public static final short BROKER_DEFAULT_REPLICATION = -1;

    public EncodeConfig {
        if (topics == null) throw new IllegalArgumentException("topics are required");
        if (settings == null) throw new IllegalArgumentException("encode settings are required");
        for (Setting<?> s : ALL) settings.get(s);
        if (replicationFactor == 0 || replicationFactor < -1)
            throw new IllegalArgumentException(
                    "replication factor must be positive or -1 (broker default)");
        if (shard == null) throw new IllegalArgumentException("a shard is required");
        new RecordLimits(settings.get(MAX_RECORD_VALUES), maxRecordBytes); // checks the limit
    }

    /** The value of {@code setting}. */
    public <T> T get(Setting<T> setting) {
        return settings.get(setting);
    }

    /** How large a record it takes and writes, for SAEs as wide as {@code widestD}. */
    public RecordLimits limits(int widestD) {
        return new RecordLimits(
                get(MAX_RECORD_VALUES), maxRecordBytes, transactionTimeoutMs(widestD));
    }

    /**
     * The Kafka Streams application id: the given one, or for a shard {@code ID-shard-i-of-S}, so
     * that shards do not share partitions (each reads every row) and instances of one shard do.
     */
    public String streamsApplicationId() {
        String id = get(APPLICATION_ID);
        return shard.count() == 1 ? id : id + "-shard-" + shard.index() + "-of-" + shard.count();
    }

    /** The defaults, for {@code topics} with state under {@code stateDir}. */
    public static EncodeConfig defaults(Topics topics, Path stateDir) {
        return new EncodeConfig(
                        topics,
                        SettingValues.defaults(ALL),
                        MonitorConfig.defaults(),
                        BROKER_DEFAULT_REPLICATION,
                        Topics.MAX_MESSAGE_BYTES,
                        DictionaryShard.WHOLE)
                .with(STATE_DIR, stateDir);
    }

    /** A builder holding this configuration, to change several settings. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** This configuration with {@code setting} changed. */
    public EncodeConfig with(Setting<?> setting, Object value) {
        return toBuilder().set(setting, value).build();
    }

    public EncodeConfig withApplicationId(String id) {
        return with(APPLICATION_ID, id);
    }

    /** With other monitor settings; null turns statistics and monitoring off. */
    public EncodeConfig withMonitor(MonitorConfig m) {
        return toBuilder().monitor(m).build();
    }

    /** Changes settings and parts; {@link #build} validates. */
    public static final class Builder {
        private final Topics topics;
        private SettingValues settings;
        private MonitorConfig monitor;
        private short replicationFactor;
        private int maxRecordBytes;
        private DictionaryShard shard;

        private Builder(EncodeConfig c) {
            topics = c.topics;
            settings = c.settings;
            monitor = c.monitor;
            replicationFactor = c.replicationFactor;
            maxRecordBytes = c.maxRecordBytes;
            shard = c.shard;
        }

        /** Sets {@code setting}, checked against its rule now. */
        public Builder set(Setting<?> setting, Object value) {
            settings = settings.with(setting, value);
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

        /** Both record limits: values per input record, and bytes per output record. */
        public Builder limits(RecordLimits v) {
            settings = settings.with(MAX_RECORD_VALUES, v.maxRecordValues());
            maxRecordBytes = v.maxRecordBytes();
            return this;
        }

        public Builder shard(DictionaryShard v) {
            shard = v;
            return this;
        }

        public EncodeConfig build() {
            return new EncodeConfig(
                    topics, settings, monitor, replicationFactor, maxRecordBytes, shard);
        }
    }

    /** Kafka Streams properties for a cluster, for SAEs as wide as {@code widestD}. */
    public Properties streamsProperties(KafkaConnection connection, int widestD) {
        Properties p = connection.client();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, streamsApplicationId());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, get(STREAM_THREADS));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, get(PROCESSING_GUARANTEE));
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, get(COMMIT_INTERVAL_MS));
        p.put(StreamsConfig.STATE_DIR_CONFIG, get(STATE_DIR).toString());
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replicationFactor);
        // Opt in now to the behaviour Kafka 5.0 makes the default.
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        p.put(
                StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                Topics.MAX_MESSAGE_BYTES);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        long transaction = transactionTimeoutMs(widestD);
        p.put(
                StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
                (int) transaction);
        // A poll's records must be encoded before the group gives the partitions away.
        p.put(
                StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG),
                (int) Math.max(MAX_POLL_INTERVAL_MS, 2 * transaction));
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // A batch of wide rows is large: fetch fewer records per poll, so one poll's work fits a
        // commit interval.
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 50);
        return p;
    }
}
