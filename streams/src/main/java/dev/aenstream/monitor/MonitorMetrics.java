package dev.aenstream.monitor;

import dev.aenstream.avro.AlertType;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tags;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/** The monitor's Micrometer meters: alerts emitted by type, and dead_pct per SAE. */
final class MonitorMetrics {
    private static final Map<String, AtomicReference<Double>> DEAD_PCT = new ConcurrentHashMap<>();

    /**
     * Per SAE id, per part of its dictionary (shard or block): parts, dead features and features.
     */
    private static final Map<String, Map<Integer, long[]>> DEAD_BY_PART = new ConcurrentHashMap<>();

    /** Per SAE id and figure: the newest spliced figure heard (score, KL, fve, version). */
    private static final Map<String, AtomicReference<Double>> SPLICED = new ConcurrentHashMap<>();

    private MonitorMetrics() {}

    /**
     * Sets gauge {@code aen.splice.<figure>} of {@code saeId}: what the model loses with its
     * version spliced in, as the producers that splice report it.
     */
    static void spliced(String saeId, String figure, double value) {
        SPLICED.computeIfAbsent(
                        saeId + "\u0000" + figure,
                        key -> {
                            AtomicReference<Double> holder = new AtomicReference<>(Double.NaN);
                            Metrics.gauge(
                                    "aen.splice." + figure,
                                    Tags.of("sae_id", saeId),
                                    holder,
                                    AtomicReference::get);
                            return holder;
                        })
                .set(value);
    }

    /** Registers the alert counters at zero, so a scrape shows them before the first alert. */
    static void register() {
        for (AlertType type : AlertType.values())
            Metrics.counter("aen.alerts.emitted", Tags.of("type", type.name()));
    }

    static void alert(AlertType type) {
        Metrics.counter("aen.alerts.emitted", Tags.of("type", type.name())).increment();
    }

    /**
     * Sets the dead features of {@code d} of part {@code part} of {@code parts}; the SAE's gauge is
     * the share over the parts it has heard of (the whole dictionary once each part has reported).
     */
    static synchronized void dead(String saeId, int part, int parts, long dead, int d) {
        Map<Integer, long[]> known = DEAD_BY_PART.computeIfAbsent(saeId, id -> new HashMap<>());
        // A dictionary split anew (another sharding or block size) starts over.
        if (known.values().stream().anyMatch(p -> p[0] != parts)) known.clear();
        known.put(part, new long[] {parts, dead, d});
        long deadAll = 0;
        long all = 0;
        for (long[] p : known.values()) {
            deadAll += p[1];
            all += p[2];
        }
        deadPct(saeId, all == 0 ? 0 : 100.0 * deadAll / all);
    }

    private static void deadPct(String saeId, double value) {
        DEAD_PCT.computeIfAbsent(
                        saeId,
                        id -> {
                            AtomicReference<Double> holder = new AtomicReference<>(0.0);
                            Metrics.gauge(
                                    "aen.dead.pct",
                                    Tags.of("sae_id", id),
                                    holder,
                                    AtomicReference::get);
                            return holder;
                        })
                .set(value);
    }
}
