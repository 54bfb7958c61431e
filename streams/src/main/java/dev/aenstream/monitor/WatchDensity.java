package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.Severity;
import dev.aenstream.avro.WatchCondition;
import dev.aenstream.avro.WatchHit;
import dev.aenstream.avro.WatchRule;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Each watched feature's density over windows of its rule's {@code windowTokens}, from the
 * statistics partials (keyed by SAE id): the gauge {@code aen_watch_density{sae_id,rule}} for every
 * rule that alerts (a label alone is not watched: a labels file of a whole dictionary would make a
 * window and a series per feature), and for a {@code DENSITY_ABOVE} or {@code DENSITY_BELOW} rule
 * {@code WATCH_DENSITY} when a window crosses its bound, once until a window is back inside it.
 */
final class WatchDensity implements Processor<String, FeatureStats, String, Alert> {
    static final String STORE = "watch-density-state";

    private final WatchRules rules;
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, byte[]> store;

    WatchDensity(WatchRules rules) {
        this.rules = rules;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        this.context = context;
        this.store = context.getStateStore(STORE);
        rules.init(context);
    }

    /** A rule's window so far: version, tokens and fires, and whether it is outside its bound. */
    private record Window(long version, long tokens, long fires, boolean outside) {
        byte[] toBytes() {
            return ByteBuffer.allocate(3 * Long.BYTES + 1)
                    .putLong(version)
                    .putLong(tokens)
                    .putLong(fires)
                    .put((byte) (outside ? 1 : 0))
                    .array();
        }

        static Window of(byte[] bytes) {
            if (bytes == null) return new Window(0, 0, 0, false);
            ByteBuffer b = ByteBuffer.wrap(bytes);
            return new Window(b.getLong(), b.getLong(), b.getLong(), b.get() == 1);
        }
    }

    @Override
    public void process(Record<String, FeatureStats> record) {
        String saeId = record.key();
        FeatureStats stats = record.value();
        long[] fires = null;
        for (WatchRule rule : rules.of(saeId)) {
            int j = rule.getFeature() - stats.getFirstFeature();
            // A label names a feature; only a rule that alerts watches it.
            if (!WatchRules.alerts(rule)
                    || !WatchRules.at(rule, stats.getVersion())
                    || j < 0
                    || j >= stats.getD()) continue;
            if (fires == null) fires = FeatureAccumulator.fireCounts(stats);
            String key = rule.getRuleId();
            Window w = Window.of(store.get(key));
            if (w.version() != stats.getVersion()) w = new Window(stats.getVersion(), 0, 0, false);
            w =
                    new Window(
                            w.version(),
                            w.tokens() + stats.getTokens(),
                            w.fires() + fires[j],
                            w.outside());
            if (w.tokens() >= rule.getWindowTokens())
                w = judge(rule, stats.getVersion(), w, record);
            store.put(key, w.toBytes());
        }
    }

    private Window judge(
            WatchRule rule, long version, Window w, Record<String, FeatureStats> record) {
        double density = (double) w.fires() / w.tokens();
        MonitorMetrics.watchDensity(rule.getSaeId(), rule.getRuleId(), density);
        boolean outside =
                switch (rule.getCondition()) {
                    case DENSITY_ABOVE -> density > rule.getThreshold();
                    case DENSITY_BELOW -> density < rule.getThreshold();
                    default -> false;
                };
        if (outside && !w.outside()) {
            boolean above = rule.getCondition() == WatchCondition.DENSITY_ABOVE;
            Alert alert =
                    AlertSink.alert(
                                    AlertType.WATCH_DENSITY,
                                    Severity.WARNING,
                                    rule.getSaeId(),
                                    version)
                            .setFeatureIds(List.of(rule.getFeature()))
                            .setLabels(List.of(rule.getLabel()))
                            .setDensities(List.of(density))
                            .setValue(density)
                            .setThreshold(rule.getThreshold())
                            .setWatch(
                                    WatchHit.newBuilder()
                                            .setRuleId(rule.getRuleId())
                                            .setLabel(rule.getLabel())
                                            .build())
                            .setMessage(
                                    String.format(
                                            "%s: feature %d of %s v%d fired on %.3g of %,d tokens,"
                                                    + " %s the bound %.3g",
                                            rule.getLabel().isEmpty()
                                                    ? "watch rule " + rule.getRuleId()
                                                    : rule.getLabel(),
                                            rule.getFeature(),
                                            rule.getSaeId(),
                                            version,
                                            density,
                                            w.tokens(),
                                            above ? "above" : "below",
                                            rule.getThreshold()))
                            .setTimestampMs(System.currentTimeMillis())
                            .build();
            context.forward(new Record<>(rule.getSaeId(), alert, record.timestamp()));
            MonitorMetrics.alert(AlertType.WATCH_DENSITY);
        }
        return new Window(version, 0, 0, outside);
    }
}
