package dev.aenstream.monitor;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.Severity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an encoder's model follower tells people, in the monitor's words: a version or a record it
 * will not serve ({@code MODEL_REFUSED}) and its own outage ({@code MODEL_FOLLOWER_DOWN}). The
 * follower reports what happened; this class owns the alerts.
 */
public final class FollowerAlerts {
    private static final Logger LOG = LoggerFactory.getLogger(FollowerAlerts.class);

    private final AlertSink sink;

    public FollowerAlerts(AlertSink sink) {
        this.sink = sink;
    }

    /** A complete version that will not be served, and why. */
    public void refused(String saeId, long version, String reason) {
        send(AlertType.MODEL_REFUSED, Severity.WARNING, saeId, version, reason);
    }

    /**
     * A record of the models topic that names no version it could refuse (bytes that are not a
     * model or a chunk, or no record type), or that failed to be served, and why.
     */
    public void unreadable(String topic, long offset, String reason) {
        send(
                AlertType.MODEL_REFUSED,
                Severity.WARNING,
                "",
                0,
                "the record at offset " + offset + " of " + topic + " is not served: " + reason);
    }

    /** The follower stopped and restarts with back-off; {@code cause} is what stopped it. */
    public void down(Throwable cause) {
        send(
                AlertType.MODEL_FOLLOWER_DOWN,
                Severity.CRITICAL,
                "",
                0,
                "the model follower stopped and restarts with back-off; new versions are not"
                        + " served until it is back: "
                        + cause);
    }

    private void send(
            AlertType type, Severity severity, String saeId, long version, String message) {
        try {
            sink.send(AlertSink.alert(type, severity, saeId, version).setMessage(message));
            MonitorMetrics.alert(type);
        } catch (RuntimeException failed) {
            // The follower goes on whatever happens to its alert; the log keeps it.
            LOG.warn("cannot send a {} alert: {}", type, failed.toString());
        }
    }
}
