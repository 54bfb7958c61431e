package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.TrainerMetrics;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WEIGHT_SATURATED from trainer metrics, by the rule of {@link ModelAlerts}; its flag per SAE lives
 * in a store.
 */
final class SaturationWatch implements Processor<byte[], byte[], String, Alert> {
    private static final Logger LOG = LoggerFactory.getLogger(SaturationWatch.class);
    static final String STORE = "saturation-state";
    private final MonitorConfig config;
    private final AvroSerde<TrainerMetrics> serde = new AvroSerde<>(TrainerMetrics.class);
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, byte[]> store;

    SaturationWatch(MonitorConfig config) {
        this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        this.context = context;
        this.store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        TrainerMetrics m;
        try {
            m = serde.fromBytes(record.value());
        } catch (RuntimeException e) {
            LOG.warn("skipping an unreadable trainer-metrics record: {}", e.getMessage());
            return;
        }
        // Architectures without adaptive weights report none: there is nothing to watch.
        if (m.getWeightSaturation() == null) return;
        String saeId = m.getSaeId();
        boolean wasSaturated = store.get(saeId) != null;
        ModelAlerts model = new ModelAlerts(config.modelAlerts()).restore(false, wasSaturated);
        AlertSink forward =
                AlertSink.into(
                        alert -> {
                            context.forward(new Record<>(saeId, alert, record.timestamp()));
                            MonitorMetrics.alert(alert.getAlertType());
                        },
                        System.currentTimeMillis());
        model.checkSaturation(
                saeId, m.getVersion(), m.getWeightSaturation(), " at step " + m.getStep(), forward);
        // The store changes only when the flag does, so a steady run writes nothing to its
        // changelog.
        if (model.saturated() && !wasSaturated) store.put(saeId, new byte[] {1});
        else if (!model.saturated() && wasSaturated) store.delete(saeId);
    }
}
