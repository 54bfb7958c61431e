package dev.aenstream.encode;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.SpliceFigures;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.avro.WatchRule;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.monitor.StatisticsTopology;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * activations → encode → codes; unprocessable records → dead letters; with statistics, →
 * feature-stats, monitor, alerts, top contexts → feature-contexts, and watch facts → the watch
 * monitor → alerts, watch rules moved through lineage → watch-rules.
 */
public final class EncodeTopology {
    static final String ACCUMULATORS = "feature-accumulators";

    /** Per activations partition, the offset after the last record read. */
    static final String POSITIONS = "activation-positions";

    /** The encoder's children, one per kind of output: it forwards each record to its own. */
    static final String CODES = "codes";

    static final String DEAD_LETTERS = "dead-letters";
    static final String STATISTICS = "statistics";
    static final String CONTEXTS = "contexts";
    static final String WATCH = "watch-facts";
    static final String WATCH_RULES = "watch-rules-moved";

    /** Top-context candidates not yet forwarded, one entry per token and feature. */
    static final String CONTEXT_CANDIDATES = "feature-context-candidates";

    private EncodeTopology() {}

    /** The topology with the default record limits; {@code monitor} null turns statistics off. */
    public static Topology build(
            Topics topics, SaeRegistry registry, EncodeStats stats, MonitorConfig monitor) {
        return build(topics, registry, stats, monitor, RecordLimits.defaults());
    }

    /**
     * The topology with retries that back off; {@code monitor} null turns statistics and monitoring
     * off.
     */
    public static Topology build(
            Topics topics,
            SaeRegistry registry,
            EncodeStats stats,
            MonitorConfig monitor,
            RecordLimits limits) {
        return build(
                topics,
                registry,
                stats,
                monitor,
                limits,
                EncodeRetries.withBackoff(),
                skipped -> {});
    }

    /**
     * The topology; {@code retries} count the attempts at records that failed to encode, and {@code
     * skipped} hears of offsets the encoder jumped over.
     */
    static Topology build(
            Topics topics,
            SaeRegistry registry,
            EncodeStats stats,
            MonitorConfig monitor,
            RecordLimits limits,
            EncodeRetries retries,
            Consumer<ReadPositions.Skipped> skipped) {
        StreamsBuilder builder = new StreamsBuilder();
        // Cached: a partition's position reaches RocksDB and the changelog once per commit.
        builder.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(POSITIONS),
                                Serdes.Integer(),
                                Serdes.Long())
                        .withCachingEnabled());
        String[] stores = {POSITIONS};
        if (monitor != null) {
            // With caching, the per-batch puts of an accumulator coalesce and reach RocksDB and the
            // changelog once per commit.
            builder.addStateStore(
                    Stores.keyValueStoreBuilder(
                                    Stores.persistentKeyValueStore(ACCUMULATORS),
                                    Serdes.String(),
                                    Serdes.ByteArray())
                            .withCachingEnabled());
            builder.addStateStore(
                    Stores.keyValueStoreBuilder(
                                    Stores.persistentKeyValueStore(CONTEXT_CANDIDATES),
                                    Serdes.String(),
                                    Serdes.ByteArray())
                            .withCachingEnabled());
            stores = new String[] {POSITIONS, ACCUMULATORS, CONTEXT_CANDIDATES};
        }
        // Values are read as raw bytes so that a record which does not decode still reaches the
        // dead letters whole.
        KStream<byte[], Object> out =
                builder.stream(
                                topics.activations(),
                                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                                        .withName("activations"))
                        .process(
                                () ->
                                        new EncodeProcessor(
                                                registry, stats, monitor, limits, retries, skipped),
                                Named.as("encode"),
                                stores);
        // The processor forwards each kind of output to the child named for it, so each child
        // receives one type only.
        out.mapValues(v -> (FeatureCodes) v, Named.as(CODES))
                .to(
                        topics.codes(),
                        Produced.with(Serdes.ByteArray(), new AvroSerde<>(FeatureCodes.class))
                                .withName("codes-sink"));
        out.mapValues(v -> (DeadLetter) v, Named.as(DEAD_LETTERS))
                .to(
                        topics.dlq(),
                        Produced.with(Serdes.ByteArray(), new AvroSerde<>(DeadLetter.class))
                                .withName("dead-letters-sink"));
        if (monitor != null) {
            KStream<String, FeatureStats> partials =
                    out.map(
                            (k, v) ->
                                    KeyValue.pair(((FeatureStats) v).getSaeId(), (FeatureStats) v),
                            Named.as(STATISTICS));
            StatisticsTopology.add(
                    builder,
                    topics,
                    partials,
                    MonitorInput.read(
                            builder,
                            topics,
                            topics.trainerMetrics(),
                            TrainerMetrics.class,
                            "trainer-metrics",
                            limits.maxRecordBytes()),
                    MonitorInput.read(
                            builder,
                            topics,
                            topics.spliceFigures(),
                            SpliceFigures.class,
                            "splice-figures",
                            limits.maxRecordBytes()),
                    monitor);
            KStream<String, FeatureContexts> candidates =
                    out.map(
                            (k, v) ->
                                    KeyValue.pair(
                                            new String(k, StandardCharsets.UTF_8),
                                            (FeatureContexts) v),
                            Named.as(CONTEXTS));
            StatisticsTopology.addContexts(topics, candidates);
            KStream<String, Alert> facts =
                    out.map(
                            (k, v) -> KeyValue.pair(((Alert) v).getSaeId(), (Alert) v),
                            Named.as(WATCH));
            StatisticsTopology.addWatch(builder, topics, facts);
            out.map(
                            (k, v) -> KeyValue.pair(((WatchRule) v).getRuleId(), (WatchRule) v),
                            Named.as(WATCH_RULES))
                    .to(
                            topics.watchRules(),
                            Produced.with(Serdes.String(), new AvroSerde<>(WatchRule.class))
                                    .withName("watch-rules-sink"));
        }
        return builder.build();
    }
}
