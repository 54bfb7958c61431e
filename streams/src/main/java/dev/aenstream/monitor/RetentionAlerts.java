package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.Severity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Activation records that retention removed before a reader got to them ({@code
 * ROWS_LOST_TO_RETENTION}): the trainer reports its gaps in its metrics, an encoder reports its own
 * here; both come out in the same words.
 */
public final class RetentionAlerts {
    private static final Logger LOG = LoggerFactory.getLogger(RetentionAlerts.class);

    private final AlertSink sink;
    private final String reader;

    /** Alerts for {@code reader} (e.g. "encoder aen-encode"), sent to {@code sink}. */
    public RetentionAlerts(AlertSink sink, String reader) {
        this.sink = sink;
        this.reader = reader;
    }

    /** Offsets {@code [from, to)} of {@code topic}-{@code partition} were removed unread. */
    public void lost(String topic, int partition, long from, long to) {
        try {
            sink.send(alert(reader, topic, partition, from, to, "", 0));
            MonitorMetrics.alert(AlertType.ROWS_LOST_TO_RETENTION);
        } catch (RuntimeException failed) {
            LOG.warn("cannot send a ROWS_LOST_TO_RETENTION alert: {}", failed.toString());
        }
    }

    /** The alert of {@code saeId} and {@code version} ("" and 0: every SAE the reader serves). */
    static Alert.Builder alert(
            String reader,
            String topic,
            int partition,
            long from,
            long to,
            String saeId,
            long version) {
        long lost = Math.max(0, to - from);
        return AlertSink.alert(AlertType.ROWS_LOST_TO_RETENTION, Severity.WARNING, saeId, version)
                .setValue(lost)
                .setMessage(
                        lost
                                + " offsets of "
                                + topic
                                + "-"
                                + partition
                                + " (offsets "
                                + from
                                + " to "
                                + (to - 1)
                                + ") were removed by retention before the "
                                + reader
                                + " read them (activation records, and transaction markers where"
                                + " producers use transactions); it goes on from offset "
                                + to);
    }
}
