package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.FeatureStats;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Turns statistics (keyed by SAE id) into alerts and the current state per SAE, or per part of its
 * dictionary (a shard, or a block of a wide one). Its state lives in a changelogged store, written
 * once per statistics record.
 */
final class StarvationMonitor implements Processor<String, FeatureStats, String, SpecificRecord> {
    static final String STORE = "starvation-state";

    /** Its children: alerts go to one, the per-SAE state to the other. */
    static final String ALERTS = "monitor-alerts";

    static final String STATES = "monitor-states";
    private final MonitorConfig config;
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, byte[]> store;

    StarvationMonitor(MonitorConfig config) {
        this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, FeatureStats> record) {
        String saeId = record.key();
        FeatureStats stats = record.value();
        // Each part of a dictionary has its own state: parts of one width would mix otherwise.
        String part = SaeStates.key(saeId, stats.getShard(), stats.getShards());
        byte[] saved = store.get(part);
        MonitorState state =
                saved == null ? new MonitorState(stats.getD()) : MonitorState.fromBytes(saved);
        if (state.d() != stats.getD()) state = new MonitorState(stats.getD());
        long now = System.currentTimeMillis();
        for (Alert alert : state.update(saeId, stats, config, now)) {
            context.forward(record.withValue((SpecificRecord) alert), ALERTS);
            MonitorMetrics.alert(alert.getAlertType());
        }
        store.put(part, state.toBytes());
        MonitorMetrics.dead(
                saeId, stats.getShard(), stats.getShards(), state.deadFeatures(), state.d());
        // A part's view has its own key, so the compacted topic keeps every part's.
        context.forward(
                record.withKey(part).withValue((SpecificRecord) state.toRecord(saeId, now)),
                STATES);
    }
}
