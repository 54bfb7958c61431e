package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.SaeState;
import dev.aenstream.avro.SpliceFigures;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.TrainerMetrics;
import java.time.Duration;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The statistics half of the encode application. Each encode task flushes one partial statistics
 * record per SAE and window; those are repartitioned by SAE id, merged across tasks and instances
 * into the feature-stats topic per window, and fed to the starvation monitor, whose alerts and
 * per-SAE state go to the alerts and sae-state topics. The trainer's facts (its metrics records)
 * feed the alerts about training: starving features, weight saturation, rows lost to retention. The
 * monitor is the one writer of the alerts topic.
 */
public final class StatisticsTopology {
    private StatisticsTopology() {}

    /**
     * Merges every task's top-context candidates per block of features into the compacted
     * feature-contexts topic: per feature the top k over every token its version encoded.
     */
    public static void addContexts(Topics topics, KStream<String, FeatureContexts> candidates) {
        AvroSerde<FeatureContexts> serde = new AvroSerde<>(FeatureContexts.class);
        candidates
                .groupByKey(Grouped.with("contexts-by-block", Serdes.String(), serde))
                .reduce(
                        TopContexts::merge,
                        Named.as("merge-contexts"),
                        Materialized.<String, FeatureContexts, KeyValueStore<Bytes, byte[]>>as(
                                        "feature-contexts")
                                .withKeySerde(Serdes.String())
                                .withValueSerde(serde))
                .toStream(Named.as("merged-contexts"))
                .to(
                        topics.featureContexts(),
                        Produced.with(Serdes.String(), serde).withName("feature-contexts-sink"));
    }

    /**
     * The encoders' watch facts, repartitioned by SAE id, become the monitor's watch alerts ({@link
     * WatchHits}).
     */
    public static void addWatch(
            StreamsBuilder builder, Topics topics, KStream<String, Alert> facts) {
        AvroSerde<Alert> serde = new AvroSerde<>(Alert.class);
        store(builder, WatchHits.STORE);
        facts.repartition(
                        Repartitioned.<String, Alert>as("watch-facts")
                                .withKeySerde(Serdes.String())
                                .withValueSerde(serde))
                .process(
                        () -> new WatchHits(new WatchRules()),
                        Named.as("watch-hits"),
                        WatchHits.STORE)
                .to(
                        topics.alerts(),
                        Produced.with(Serdes.String(), serde).withName("watch-alerts-sink"));
    }

    /**
     * The statistics of {@code partialsByTask} and the watches over them, and the watches of the
     * trainer's facts and the producers' splice figures, decoded by the caller.
     */
    public static void add(
            StreamsBuilder builder,
            Topics topics,
            KStream<String, FeatureStats> partialsByTask,
            KStream<byte[], TrainerMetrics> trainerFacts,
            KStream<byte[], SpliceFigures> spliceFigures,
            MonitorConfig config) {
        MonitorMetrics.register();
        AvroSerde<FeatureStats> stats = new AvroSerde<>(FeatureStats.class);
        AvroSerde<Alert> alerts = new AvroSerde<>(Alert.class);
        AvroSerde<SaeState> states = new AvroSerde<>(SaeState.class);
        KStream<String, FeatureStats> partials =
                partialsByTask.repartition(
                        Repartitioned.<String, FeatureStats>as("feature-stats-partials")
                                .withKeySerde(Serdes.String())
                                .withValueSerde(stats));

        // A shard's (or block's) windows are keyed apart from the others' (saeId#i/S).
        KStream<String, SpecificRecord> checked =
                partials.selectKey(
                                (saeId, s) ->
                                        SaeStates.key(saeId, s.getShard(), s.getShards())
                                                + "/v"
                                                + s.getVersion(),
                                Named.as("key-by-version"))
                        .repartition(
                                Repartitioned.<String, FeatureStats>as("stats-by-version")
                                        .withKeySerde(Serdes.String())
                                        .withValueSerde(stats))
                        .processValues(() -> new LatePartials(config), Named.as("late-partials"));
        checked.mapValues(v -> (Alert) v, Named.as(LatePartials.ALERTS))
                .to(
                        topics.alerts(),
                        Produced.with(Serdes.String(), alerts).withName("late-alerts-sink"));
        checked.mapValues(v -> (FeatureStats) v, Named.as(LatePartials.STATISTICS))
                .groupByKey(Grouped.with(Serdes.String(), stats))
                .windowedBy(
                        TimeWindows.ofSizeAndGrace(
                                Duration.ofMillis(config.get(MonitorConfig.WINDOW_MS)),
                                Duration.ofMillis(config.get(MonitorConfig.GRACE_MS))))
                .reduce(
                        FeatureAccumulator::merge,
                        Named.as("merge-windows"),
                        Materialized.<String, FeatureStats, WindowStore<Bytes, byte[]>>as(
                                        "feature-stats-windows")
                                .withKeySerde(Serdes.String())
                                .withValueSerde(stats))
                .toStream(Named.as("merged-windows"))
                .peek((window, s) -> MonitorMetrics.window(s), Named.as("window-gauges"))
                .map(
                        (window, s) ->
                                KeyValue.pair(window.key() + "@" + window.window().start(), s),
                        Named.as("key-by-window"))
                .to(
                        topics.featureStats(),
                        Produced.with(Serdes.String(), stats).withName("feature-stats-sink"));

        builder.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(StarvationMonitor.STORE),
                                Serdes.String(),
                                Serdes.ByteArray())
                        .withCachingEnabled());
        KStream<String, SpecificRecord> monitored =
                partials.process(
                        () -> new StarvationMonitor(config),
                        Named.as("starvation-monitor"),
                        StarvationMonitor.STORE);
        monitored
                .mapValues(v -> (Alert) v, Named.as(StarvationMonitor.ALERTS))
                .to(
                        topics.alerts(),
                        Produced.with(Serdes.String(), alerts).withName("alerts-sink"));
        monitored
                .mapValues(v -> (SaeState) v, Named.as(StarvationMonitor.STATES))
                .to(
                        topics.saeState(),
                        Produced.with(Serdes.String(), states).withName("sae-state-sink"));

        WatchRules.addStore(builder, topics);
        store(builder, WatchDensity.STORE);
        partials.process(
                        () -> new WatchDensity(new WatchRules()),
                        Named.as("watch-density"),
                        WatchDensity.STORE)
                .to(
                        topics.alerts(),
                        Produced.with(Serdes.String(), alerts).withName("watch-density-sink"));
        store(builder, DriftWatch.STORE);
        partials.process(
                        () -> new DriftWatch(config, new WatchRules()),
                        Named.as("drift-watch"),
                        DriftWatch.STORE)
                .to(
                        topics.alerts(),
                        Produced.with(Serdes.String(), alerts).withName("drift-alerts-sink"));

        store(builder, TrainerFactsWatch.STORE);
        trainerFacts
                .process(
                        () -> new TrainerFactsWatch(config),
                        Named.as("trainer-facts-watch"),
                        TrainerFactsWatch.STORE)
                .to(
                        topics.alerts(),
                        Produced.with(Serdes.String(), alerts).withName("trainer-alerts-sink"));

        store(builder, SpliceFiguresWatch.STORE);
        spliceFigures
                .process(
                        () -> new SpliceFiguresWatch(config),
                        Named.as("splice-figures-watch"),
                        SpliceFiguresWatch.STORE)
                .to(
                        topics.alerts(),
                        Produced.with(Serdes.String(), alerts).withName("splice-alerts-sink"));
    }

    /** A changelogged store of one processor's state, keyed by text. */
    private static void store(StreamsBuilder builder, String name) {
        builder.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.ByteArray()));
    }
}
