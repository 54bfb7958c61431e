package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.RetentionGap;
import dev.aenstream.avro.Severity;
import dev.aenstream.avro.TrainerMetrics;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Turns the trainer's facts (its trainer-metrics records) into alerts: {@code FEATURE_STARVING} for
 * features that newly stopped firing in the trainer's window, with each one's cross-leverage and
 * its reading; {@code WEIGHT_SATURATED} by the rule of {@link ModelAlerts}; {@code
 * ROWS_LOST_TO_RETENTION} for each gap retention made, {@code ROWS_SKIPPED_FOR_LAG} for each range
 * the trainer jumped over to catch up. Per SAE it keeps, in a store, the starving features already
 * alerted and the saturation flag.
 */
final class TrainerFactsWatch implements Processor<byte[], TrainerMetrics, String, Alert> {
    static final String STORE = "trainer-facts-state";
    private final MonitorConfig config;
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, byte[]> store;

    TrainerFactsWatch(MonitorConfig config) {
        this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        this.context = context;
        this.store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<byte[], TrainerMetrics> record) {
        TrainerMetrics m = record.value();
        String saeId = m.getSaeId();
        MonitorMetrics.trainer(m);
        byte[] saved = store.get(saeId);
        State before = State.fromBytes(saved);
        AlertSink sink =
                AlertSink.into(
                        alert -> {
                            context.forward(new Record<>(saeId, alert, record.timestamp()));
                            MonitorMetrics.alert(alert.getAlertType());
                        },
                        System.currentTimeMillis());
        State after = check(m, before, config, sink);
        // The store changes only when the state does, so a steady run writes nothing to its
        // changelog.
        if (!after.equals(before)) store.put(saeId, after.toBytes());
    }

    /** The alerts one record of facts makes due after {@code before}; the state after it. */
    static State check(TrainerMetrics m, State before, MonitorConfig config, AlertSink sink) {
        String saeId = m.getSaeId();
        long version = m.getVersion();
        ModelAlerts model = new ModelAlerts(config).restore(false, before.saturated);
        // Architectures without adaptive weights report none: there is nothing to watch.
        if (m.getWeightSaturation() != null)
            model.checkSaturation(
                    saeId, version, m.getWeightSaturation(), " at step " + m.getStep(), sink);
        BitSet starving = before.starving;
        if (m.getStarvingFeatures() != null) {
            starving = new BitSet();
            List<Integer> ids = m.getStarvingFeatures();
            List<Float> leverage = m.getStarvingLeverage();
            double[] byFeature = new double[ids.isEmpty() ? 0 : 1 + ids.get(ids.size() - 1)];
            Arrays.fill(byFeature, Double.NaN);
            List<Integer> newly = new java.util.ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                int j = ids.get(i);
                starving.set(j);
                if (!before.starving.get(j)) newly.add(j);
                if (leverage != null && i < leverage.size() && j < byFeature.length)
                    byFeature[j] = leverage.get(i);
            }
            if (!newly.isEmpty()) {
                double[] measured = leverage == null ? null : byFeature;
                sink.send(
                        AlertSink.alert(
                                        AlertType.FEATURE_STARVING,
                                        Severity.WARNING,
                                        saeId,
                                        version)
                                .setFeatureIds(newly)
                                .setValue(m.getDeadPct())
                                .setMessage(
                                        newly.size()
                                                + " features did not fire in the trainer's last "
                                                + m.getWindowTokens()
                                                + " tokens (step "
                                                + m.getStep()
                                                + ")"
                                                + Diagnosis.summary(newly, measured))
                                .setCrossLeverage(Diagnosis.leverages(newly, measured)));
            }
        }
        for (RetentionGap gap : m.getRetentionGaps())
            sink.send(
                    RetentionAlerts.alert(
                            "trainer",
                            gap.getTopic(),
                            gap.getPartition(),
                            gap.getFromOffset(),
                            gap.getToOffset(),
                            saeId,
                            version));
        for (RetentionGap skip : m.getLagSkips()) sink.send(skippedForLag(skip, saeId, version));
        return new State(model.saturated(), starving);
    }

    /** The alert of offsets the trainer jumped over under --lag-policy skip-to-latest. */
    private static Alert.Builder skippedForLag(RetentionGap skip, String saeId, long version) {
        long skipped = Math.max(0, skip.getToOffset() - skip.getFromOffset());
        return AlertSink.alert(AlertType.ROWS_SKIPPED_FOR_LAG, Severity.WARNING, saeId, version)
                .setValue(skipped)
                .setMessage(
                        "the trainer fell too far behind and skipped "
                                + skipped
                                + " offsets of "
                                + skip.getTopic()
                                + "-"
                                + skip.getPartition()
                                + " (offsets "
                                + skip.getFromOffset()
                                + " to "
                                + (skip.getToOffset() - 1)
                                + ", --lag-policy skip-to-latest); it goes on from offset "
                                + skip.getToOffset());
    }

    /** What the watch keeps per SAE: the saturation flag and the starving features alerted. */
    record State(boolean saturated, BitSet starving) {
        static final State NONE = new State(false, new BitSet());

        byte[] toBytes() {
            byte[] bits = starving.toByteArray();
            return ByteBuffer.allocate(1 + bits.length)
                    .put((byte) (saturated ? 1 : 0))
                    .put(bits)
                    .array();
        }

        static State fromBytes(byte[] bytes) {
            if (bytes == null || bytes.length == 0) return NONE;
            return new State(
                    bytes[0] == 1, BitSet.valueOf(Arrays.copyOfRange(bytes, 1, bytes.length)));
        }
    }
}
