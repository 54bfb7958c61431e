package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Severity;
import dev.aenstream.avro.TrainerMetrics;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** WEIGHT_SATURATED from trainer metrics: once above the threshold, re-armed below 80% of it. */
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
        boolean raised = store.get(m.getSaeId()) != null;
        double s = m.getWeightSaturation();
        if (!raised && s > config.saturation()) {
            store.put(m.getSaeId(), new byte[] {1});
            Alert alert = Alert.newBuilder().setAlertType(AlertType.WEIGHT_SATURATED).setSeverity(Severity.WARNING).setSaeId(m.getSaeId())
                    .setVersion(m.getVersion()).setFeatureIds(List.of()).setValue(s).setThreshold(config.saturation())
                    .setMessage(String.format("%.1f%% of adaptive weights are pinned at w_max at step %d", 100 * s, m.getStep()))
                    .setTimestampMs(System.currentTimeMillis()).build();
            context.forward(new Record<>(m.getSaeId(), alert, record.timestamp()));
            MonitorMetrics.alert(AlertType.WEIGHT_SATURATED);
        } else if (raised && s < MonitorConfig.MODEL_ALERT_REARM_SHARE * config.saturation()) {
            store.delete(m.getSaeId());
        }
    }

}
