package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.Severity;
import java.util.List;
import java.util.function.Consumer;

/** Where alerts go: the alerts topic in production, a list in tests. */
public interface AlertSink {
    /**
     * Sends one alert, its fields set by name on {@link #alert}'s builder; the sink stamps its
     * time. {@code crossLeverage}, when set, holds one figure per feature id (see the Alert
     * schema).
     */
    void send(Alert.Builder alert);

    /**
     * An alert of {@code type} about version {@code version} of {@code saeId}: no features, value 0
     * and threshold 0 until set; the message is required.
     */
    static Alert.Builder alert(AlertType type, Severity severity, String saeId, long version) {
        return Alert.newBuilder()
                .setAlertType(type)
                .setSeverity(severity)
                .setSaeId(saeId)
                .setVersion(version)
                .setFeatureIds(List.of())
                .setValue(0)
                .setThreshold(0)
                .setCrossLeverage(null);
    }

    /**
     * A sink that stamps each alert {@code nowMs}, builds its record and hands it to {@code out}.
     */
    static AlertSink into(Consumer<Alert> out, long nowMs) {
        return alert -> out.accept(alert.setTimestampMs(nowMs).build());
    }
}
