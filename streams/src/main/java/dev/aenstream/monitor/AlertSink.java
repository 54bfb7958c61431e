package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.Severity;
import java.util.List;
import java.util.function.Consumer;

/** Where alerts go: the alerts topic in production, a list in tests. */
public interface AlertSink {
    /**
     * Sends one alert; {@code crossLeverage}, when not null, holds one figure per feature id (see
     * the Alert schema).
     */
    void send(
            AlertType type,
            Severity severity,
            String saeId,
            long version,
            List<Integer> featureIds,
            double value,
            double threshold,
            String message,
            List<Float> crossLeverage);

    /** Sends one alert without a per-feature diagnosis. */
    default void send(
            AlertType type,
            Severity severity,
            String saeId,
            long version,
            List<Integer> featureIds,
            double value,
            double threshold,
            String message) {
        send(type, severity, saeId, version, featureIds, value, threshold, message, null);
    }

    /**
     * A sink that turns each alert into its record, stamped {@code nowMs}, and hands it to {@code
     * out}.
     */
    static AlertSink into(Consumer<Alert> out, long nowMs) {
        return (type, severity, saeId, version, featureIds, value, threshold, message, leverage) ->
                out.accept(
                        record(
                                type,
                                severity,
                                saeId,
                                version,
                                featureIds,
                                value,
                                threshold,
                                message,
                                leverage,
                                nowMs));
    }

    /** The alert record of one {@link #send}. */
    static Alert record(
            AlertType type,
            Severity severity,
            String saeId,
            long version,
            List<Integer> featureIds,
            double value,
            double threshold,
            String message,
            List<Float> crossLeverage,
            long nowMs) {
        return Alert.newBuilder()
                .setAlertType(type)
                .setSeverity(severity)
                .setSaeId(saeId)
                .setVersion(version)
                .setFeatureIds(featureIds)
                .setValue(value)
                .setThreshold(threshold)
                .setMessage(message)
                .setTimestampMs(nowMs)
                .setCrossLeverage(crossLeverage)
                .build();
    }
}
