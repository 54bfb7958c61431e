package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.ModelHead;
import dev.aenstream.avro.Severity;
import dev.aenstream.avro.SpliceFigures;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Turns what the producers that splice report into alerts and gauges: {@code SPLICED_SCORE_LOW}
 * once per SAE version whose score (ce_loss_score, or embedding_score) falls below the floor after
 * enough tokens; gauges of the newest score, KL divergence, fve and version per SAE. It keeps, per
 * SAE, the last version alerted.
 */
final class SpliceFiguresWatch implements Processor<byte[], SpliceFigures, String, Alert> {
    static final String STORE = "splice-figures-state";

    /** The score of each kind of model, as docs/evaluation.md names it. */
    static final Map<ModelHead, String> SCORE =
            Map.of(ModelHead.LOGITS, "ce_loss_score", ModelHead.EMBEDDING, "embedding_score");

    private final MonitorConfig config;
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, byte[]> store;

    SpliceFiguresWatch(MonitorConfig config) {
        this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        this.context = context;
        this.store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<byte[], SpliceFigures> record) {
        SpliceFigures f = record.value();
        String saeId = f.getSaeId().toString();
        Double score = figure(f, SCORE.get(f.getHead()));
        gauge(saeId, "score", score);
        gauge(saeId, "kl_div", figure(f, "kl_div_with_sae"));
        gauge(saeId, "fve", figure(f, "fve"));
        gauge(saeId, "version", (double) f.getVersion());
        byte[] saved = store.get(saeId);
        long alerted = saved == null ? 0 : ByteBuffer.wrap(saved).getLong();
        Alert.Builder alert = check(f, score, alerted, config);
        if (alert == null) return;
        store.put(saeId, ByteBuffer.allocate(Long.BYTES).putLong(f.getVersion()).array());
        Alert a = alert.setTimestampMs(System.currentTimeMillis()).build();
        context.forward(new Record<>(saeId, a, record.timestamp()));
        MonitorMetrics.alert(a.getAlertType());
    }

    /**
     * The alert {@code f} calls for, or null: none before enough tokens, none for a version already
     * alerted ({@code alerted} is the last one), none at or above the floor.
     */
    static Alert.Builder check(SpliceFigures f, Double score, long alerted, MonitorConfig config) {
        double floor = config.get(MonitorConfig.SPLICE_SCORE_FLOOR);
        if (score == null
                || f.getTokens() < config.get(MonitorConfig.SPLICE_MIN_TOKENS)
                || f.getVersion() <= alerted
                || !(score < floor)) return null;
        String name = SCORE.get(f.getHead());
        return AlertSink.alert(
                        AlertType.SPLICED_SCORE_LOW,
                        Severity.WARNING,
                        f.getSaeId().toString(),
                        f.getVersion())
                .setValue(score)
                .setThreshold(floor)
                .setMessage(
                        String.format(
                                "with v%d spliced into %s at %s, %s is %.3f on %,d tokens, below"
                                        + " the floor %.3f: the model loses much of what the SAE"
                                        + " should keep (docs/evaluation.md)",
                                f.getVersion(),
                                f.getSourceModel(),
                                f.getHookPoint(),
                                name,
                                score,
                                f.getTokens(),
                                floor));
    }

    private static Double figure(SpliceFigures f, String name) {
        if (name == null) return null;
        for (Map.Entry<? extends CharSequence, Double> e : f.getFigures().entrySet())
            if (e.getKey().toString().equals(name)) return e.getValue();
        return null;
    }

    private static void gauge(String saeId, String figure, Double value) {
        if (value != null) MonitorMetrics.spliced(saeId, figure, value);
    }
}
