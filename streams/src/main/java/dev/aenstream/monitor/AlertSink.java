package dev.aenstream.monitor;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.Severity;
import java.util.List;

/** Where alerts go: the alerts topic in production, a list in tests. */
public interface AlertSink {
    void send(AlertType type, Severity severity, String saeId, long version, List<Integer> featureIds, double value, double threshold,
              String message);
}
