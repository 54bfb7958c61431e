package dev.aenstream.monitor;

import dev.aenstream.avro.AlertType;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/** The monitor's Micrometer meters: alerts emitted by type, and dead_pct per SAE. */
final class MonitorMetrics {
    private static final Map<String, AtomicReference<Double>> DEAD_PCT = new ConcurrentHashMap<>();

    private MonitorMetrics() {}

    /** Registers the alert counters at zero, so a scrape shows them before the first alert. */
    static void register() {
        for (AlertType type : AlertType.values())
            Metrics.counter("aen.alerts.emitted", Tags.of("type", type.name()));
    }

    static void alert(AlertType type) {
        Metrics.counter("aen.alerts.emitted", Tags.of("type", type.name())).increment();
    }

    static void deadPct(String saeId, double value) {
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
