package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.Severity;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Tests every feature's density for drift against a reference, on the statistics partials of each
 * SAE (keyed by SAE id), and raises {@code FEATURE_DRIFT} naming the features that moved, most
 * significant first, with their labels; the population drift score of each block is a gauge. Its
 * state lives in a changelogged store, one entry per part of a dictionary.
 */
final class DriftWatch implements Processor<String, FeatureStats, String, Alert> {
    static final String STORE = "drift-state";

    private final MonitorConfig config;
    private final WatchRules labels;
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, byte[]> store;

    DriftWatch(MonitorConfig config, WatchRules labels) {
        this.config = config;
        this.labels = labels;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        this.context = context;
        this.store = context.getStateStore(STORE);
        labels.init(context);
    }

    @Override
    public void process(Record<String, FeatureStats> record) {
        String saeId = record.key();
        FeatureStats stats = record.value();
        String part = SaeStates.key(saeId, stats.getShard(), stats.getShards());
        byte[] saved = store.get(part);
        DriftState state = saved == null ? null : DriftState.fromBytes(saved);
        if (state == null || state.d() != stats.getD()) state = new DriftState(stats.getD());
        DriftSettings settings =
                DriftSettings.of(config, (long) stats.getD() * Math.max(1, stats.getShards()));
        DriftState.Block block =
                state.add(
                        stats.getVersion(),
                        stats.getTokens(),
                        FeatureAccumulator.fireCounts(stats),
                        settings);
        store.put(part, state.toBytes());
        if (block == null) return;
        MonitorMetrics.drift(saeId, block.js(), block.moved().size());
        if (block.moved().isEmpty()) return;
        Alert alert =
                alert(saeId, stats.getVersion(), stats.getFirstFeature(), block, settings)
                        .setTimestampMs(System.currentTimeMillis())
                        .build();
        context.forward(new Record<>(saeId, alert, record.timestamp()));
        MonitorMetrics.alert(AlertType.FEATURE_DRIFT);
    }

    /** The alert for a block whose tests alarmed: every feature that moved, named by its label. */
    Alert.Builder alert(
            String saeId,
            long version,
            int firstFeature,
            DriftState.Block block,
            DriftSettings settings) {
        List<Integer> ids = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Double> before = new ArrayList<>();
        List<Double> now = new ArrayList<>();
        boolean labelled = false;
        for (DriftState.Moved m : block.moved()) {
            if (ids.size() == AlertPublisher.MAX_IDS_PER_RECORD) break;
            int feature = firstFeature + m.feature();
            String label = labels.label(saeId, version, feature);
            labelled |= !label.isEmpty();
            ids.add(feature);
            names.add(label);
            before.add(m.referenceDensity());
            now.add(m.density());
        }
        StringBuilder message =
                new StringBuilder()
                        .append(block.moved().size())
                        .append(" features changed density (")
                        .append(String.format("%,d", block.tokens()))
                        .append("-token block of version ")
                        .append(version)
                        .append(", population drift ")
                        .append(String.format("%.4f", block.js()))
                        .append(" bits):");
        int named = Math.min(ids.size(), config.get(MonitorConfig.DRIFT_NAMED));
        for (int i = 0; i < named; i++) {
            DriftState.Moved m = block.moved().get(i);
            message.append(i == 0 ? " " : "; ")
                    .append(ids.get(i))
                    .append(names.get(i).isEmpty() ? "" : " \"" + names.get(i) + "\"")
                    .append(m.up() ? " up " : " down ")
                    .append(String.format("%.3g -> %.3g", m.referenceDensity(), m.density()));
        }
        if (ids.size() > named) message.append("; ...");
        return AlertSink.alert(AlertType.FEATURE_DRIFT, Severity.WARNING, saeId, version)
                .setFeatureIds(ids)
                .setLabels(labelled ? names : List.of())
                .setReferenceDensities(before)
                .setDensities(now)
                .setDriftScore(block.js())
                .setValue(block.moved().get(0).statistic())
                .setThreshold(settings.threshold())
                .setMessage(message.toString());
    }
}
