package dev.aenstream.encode;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.sae.SparseCodes;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The encoder's statistics stage: per SAE, one window's per-feature statistics of the codes (and
 * the fve's reconstruction where the version has a decoder), forwarded as a partial record to
 * {@link EncodeTopology#STATISTICS} when the window or the version ends. The accumulators survive a
 * crash in a changelogged store, written once per batch and SAE, so the tokens of batches whose
 * offsets were committed are never lost from the statistics.
 */
final class FeatureStatistics {
    private final MonitorConfig monitor;
    private final ProcessorContext<byte[], Object> context;
    private final KeyValueStore<String, byte[]> store;
    private final Map<String, FeatureAccumulator> accumulators = new HashMap<>();
    private final AvroSerde<FeatureStats> serde = new AvroSerde<>(FeatureStats.class);

    /** Restores the accumulators {@code store} holds. */
    FeatureStatistics(
            MonitorConfig monitor,
            ProcessorContext<byte[], Object> context,
            KeyValueStore<String, byte[]> store) {
        this.monitor = monitor;
        this.context = context;
        this.store = store;
        try (var all = store.all()) {
            all.forEachRemaining(
                    kv ->
                            accumulators.put(
                                    kv.key,
                                    FeatureAccumulator.fromRecord(serde.fromBytes(kv.value))));
        }
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
        }
        acc.add(codes);
        if (sae.decoder() != null)
            acc.addReconstruction(
                    x,
                    codes,
                    sae.decoder(),
                    sae.normalised(),
                    monitor.get(MonitorConfig.FVE_ROW_STRIDE));
        store.put(sae.saeId(), serde.toBytes(acc.toRecord(acc.windowStartMs() + window)));
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
        FeatureStats partial =
                acc.toRecord(acc.windowStartMs() + monitor.get(MonitorConfig.WINDOW_MS));
        context.forward(
                new Record<byte[], Object>(
                        acc.saeId().getBytes(StandardCharsets.UTF_8), partial, acc.windowStartMs()),
                EncodeTopology.STATISTICS);
        accumulators.remove(acc.saeId());
        store.delete(acc.saeId());
    }
}
