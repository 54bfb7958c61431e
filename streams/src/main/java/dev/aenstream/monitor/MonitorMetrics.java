package dev.aenstream.monitor;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.TrainerMetrics;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tags;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The monitor's Micrometer meters: alerts emitted by type; per SAE the served version's live
 * figures, the trainer's, the spliced ones, drift, and watched features (docs/monitoring.md,
 * "Operators").
 */
final class MonitorMetrics {
    /** Every gauge this class sets, by name and tags: each registered once, then set. */
    private static final Map<String, AtomicReference<Double>> GAUGES = new ConcurrentHashMap<>();

    /**
     * Per SAE id, per part of its dictionary (shard or block): parts, dead features and features.
     */
    private static final Map<String, Map<Integer, long[]>> DEAD_BY_PART = new ConcurrentHashMap<>();

    private MonitorMetrics() {}

    /**
     * Sets gauge {@code aen.splice.<figure>} of {@code saeId}: what the model loses with its
     * version spliced in, as the producers that splice report it.
     */
    static void spliced(String saeId, String figure, double value) {
        gauge("aen.splice." + figure, saeId, value);
    }

    /**
     * Sets {@code aen.drift.score} (the Jensen-Shannon divergence of the last block tested against
     * the reference) and {@code aen.drift.moved} (features whose test alarmed on it) of {@code
     * saeId}.
     */
    static void drift(String saeId, double score, int moved) {
        gauge("aen.drift.score", saeId, score);
        gauge("aen.drift.moved", saeId, moved);
    }

    /**
     * Sets the served version's figures from a merged statistics window of the whole dictionary:
     * {@code aen.sae.version}, {@code aen.l0}, and where the decoder is known {@code aen.fve} and
     * {@code aen.shrinkage}.
     */
    static void window(FeatureStats w) {
        if (w.getShards() != 1 || w.getTokens() == 0) return;
        String saeId = w.getSaeId();
        gauge("aen.sae.version", saeId, w.getVersion());
        gauge("aen.l0", saeId, w.getL0Sum() / w.getTokens());
        if (w.getFve() != null) gauge("aen.fve", saeId, w.getFve());
        if (w.getShrinkage() != null) gauge("aen.shrinkage", saeId, w.getShrinkage());
    }

    /**
     * Sets what a trainer reports of the SAE it trains: {@code aen.trainer.version}, {@code
     * aen.trainer.fve}, {@code aen.trainer.l0}, {@code aen.trainer.dead.pct}, {@code
     * aen.trainer.shrinkage} and {@code aen.trainer.lag.records}, so one scrape of the encoders
     * shows the trainers too.
     */
    static void trainer(TrainerMetrics m) {
        String saeId = m.getSaeId();
        gauge("aen.trainer.version", saeId, m.getVersion());
        gauge("aen.trainer.fve", saeId, m.getFve());
        gauge("aen.trainer.l0", saeId, m.getL0());
        gauge("aen.trainer.dead.pct", saeId, m.getDeadPct());
        gauge("aen.trainer.lag.records", saeId, m.getConsumerLag());
        if (m.getShrinkage() != null) gauge("aen.trainer.shrinkage", saeId, m.getShrinkage());
    }

    /** Counts {@code aen.watch.alerts} of a watch rule: its WATCH_ACTIVATION alerts sent. */
    static void watched(String saeId, String ruleId) {
        Metrics.counter("aen.watch.alerts", Tags.of("sae_id", saeId, "rule", ruleId)).increment();
    }

    /** Sets {@code aen.watch.density} of a watch rule: its feature's density in the last window. */
    static void watchDensity(String saeId, String ruleId, double density) {
        gauge("aen.watch.density", Tags.of("sae_id", saeId, "rule", ruleId), density);
    }

    private static void gauge(String name, String saeId, double value) {
        gauge(name, Tags.of("sae_id", saeId), value);
    }

    private static void gauge(String name, Tags tags, double value) {
        GAUGES.computeIfAbsent(
                        name + tags,
                        key -> {
                            AtomicReference<Double> holder = new AtomicReference<>(Double.NaN);
                            Metrics.gauge(name, tags, holder, AtomicReference::get);
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
        gauge("aen.dead.pct", saeId, all == 0 ? 0 : 100.0 * deadAll / all);
    }
}
