package dev.aenstream.encode;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.monitor.StatisticsParts;
import dev.aenstream.sae.SparseCodes;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The encoder's statistics stage: per SAE, one window's per-feature statistics of the codes (and
 * the fve's reconstruction where the version has a decoder), forwarded as partial records to {@link
 * EncodeTopology#STATISTICS} when the window or the version ends. The accumulators survive a crash
 * in a changelogged store, written once per batch and SAE, so the tokens of batches whose offsets
 * were committed are never lost from the statistics. A wide dictionary's statistics are split into
 * blocks of features, in the store as on the topics, so that no record passes the record limit (a
 * 131,072-feature window is 19 MB whole).
 */
final class FeatureStatistics {
    private static final org.slf4j.Logger LOG =
            org.slf4j.LoggerFactory.getLogger(FeatureStatistics.class);
    private final MonitorConfig monitor;
    private final ProcessorContext<byte[], Object> context;
    private final KeyValueStore<String, byte[]> store;
    private final Map<String, FeatureAccumulator> accumulators = new HashMap<>();

    /** Per SAE id the blocks its statistics are split into. */
    private final Map<String, Integer> blocks = new HashMap<>();

    /** Per SAE id the store keys its accumulator occupies. */
    private final Map<String, List<String>> storeKeys = new HashMap<>();

    private final AvroSerde<FeatureStats> serde = new AvroSerde<>(FeatureStats.class);

    /** Restores the accumulators {@code store} holds, joining the blocks of each. */
    FeatureStatistics(
            MonitorConfig monitor,
            ProcessorContext<byte[], Object> context,
            KeyValueStore<String, byte[]> store) {
        this.monitor = monitor;
        this.context = context;
        this.store = store;
        Map<String, List<FeatureStats>> parts = new HashMap<>();
        try (var all = store.all()) {
            all.forEachRemaining(
                    kv -> {
                        FeatureStats part = serde.fromBytes(kv.value);
                        String saeId = part.getSaeId().toString();
                        parts.computeIfAbsent(saeId, id -> new ArrayList<>()).add(part);
                        storeKeys.computeIfAbsent(saeId, id -> new ArrayList<>()).add(kv.key);
                    });
        }
        parts.forEach(
                (saeId, p) -> {
                    try {
                        accumulators.put(saeId, StatisticsParts.join(p));
                        blocks.put(saeId, p.size());
                    } catch (IllegalArgumentException e) {
                        // Blocks that do not make one window (a store written under
                        // at-least-once by a crash between puts): a window lost beats a task that
                        // fails at every start.
                        LOG.warn(
                                "dropping the stored statistics of SAE {}, which do not hold"
                                        + " together: {}",
                                saeId,
                                e.getMessage());
                        storeKeys.remove(saeId).forEach(store::delete);
                    }
                });
    }

    /** Adds {@code sae}'s codes of rows {@code x}, stamped {@code timestamp}, to its window. */
    void add(ServingSae sae, FloatBuffer x, SparseCodes codes, long timestamp) {
        long window = monitor.get(MonitorConfig.WINDOW_MS);
        long start = Math.floorDiv(timestamp, window) * window;
        FeatureAccumulator acc = accumulators.get(sae.saeId());
        if (acc != null
                && (acc.version() != sae.version() || start >= acc.windowStartMs() + window)) {
            flush(acc);
            acc = null;
        }
        if (acc == null) {
            acc = new FeatureAccumulator(sae.saeId(), sae.version(), sae.shard(), sae.d(), start);
            accumulators.put(sae.saeId(), acc);
            blocks.put(
                    sae.saeId(),
                    StatisticsParts.blocks(
                            sae.shard(), sae.d(), monitor.get(MonitorConfig.STATS_BLOCK_FEATURES)));
        }
        acc.add(codes);
        if (sae.decoder() != null)
            acc.addReconstruction(
                    x,
                    codes,
                    sae.decoder(),
                    sae.normalised(),
                    monitor.get(MonitorConfig.FVE_ROW_STRIDE));
        save(acc);
    }

    /**
     * Writes {@code acc} to the store, one entry per block, and drops entries it no longer uses.
     */
    private void save(FeatureAccumulator acc) {
        List<FeatureStats> parts = records(acc);
        List<String> keys = new ArrayList<>(parts.size());
        for (int b = 0; b < parts.size(); b++) {
            // One block keeps the SAE id as its key, as stores written before blocks have it.
            String key = parts.size() == 1 ? acc.saeId() : acc.saeId() + "#" + b;
            store.put(key, serde.toBytes(parts.get(b)));
            keys.add(key);
        }
        List<String> before = storeKeys.put(acc.saeId(), keys);
        if (before != null) for (String key : before) if (!keys.contains(key)) store.delete(key);
    }

    private List<FeatureStats> records(FeatureAccumulator acc) {
        return StatisticsParts.split(
                acc,
                acc.windowStartMs() + monitor.get(MonitorConfig.WINDOW_MS),
                blocks.get(acc.saeId()));
    }

    /**
     * Forwards the windows that ended by wall-clock time {@code now}, so statistics flow while the
     * stream is quiet.
     */
    void flushDue(long now) {
        for (FeatureAccumulator acc : List.copyOf(accumulators.values())) {
            if (now >= acc.windowStartMs() + monitor.get(MonitorConfig.WINDOW_MS)) flush(acc);
        }
    }

    private void flush(FeatureAccumulator acc) {
        for (FeatureStats partial : records(acc))
            context.forward(
                    new Record<byte[], Object>(
                            acc.saeId().getBytes(StandardCharsets.UTF_8),
                            partial,
                            acc.windowStartMs()),
                    EncodeTopology.STATISTICS);
        accumulators.remove(acc.saeId());
        blocks.remove(acc.saeId());
        List<String> keys = storeKeys.remove(acc.saeId());
        if (keys != null) keys.forEach(store::delete);
    }
}
