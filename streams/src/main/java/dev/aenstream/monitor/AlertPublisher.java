package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.topics.Producers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends alerts to the alerts topic, keyed by SAE id, and logs each one. */
public final class AlertPublisher implements AlertSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AlertPublisher.class);

    /** Feature ids per alert record: 100,000 features dying at once make a handful of records. */
    public static final int MAX_IDS_PER_RECORD = 25_000;

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final AvroSerde<Alert> serde = new AvroSerde<>(Alert.class);

    public AlertPublisher(KafkaConnection connection, String topic) {
        this.topic = topic;
        this.producer = Producers.idempotent(connection, "aen-alerts");
    }

    /**
     * Sends one alert per batch of at most {@link #MAX_IDS_PER_RECORD} feature ids (one when there
     * are none).
     */
    @Override
    public void send(Alert.Builder builder) {
        Alert whole = builder.setTimestampMs(System.currentTimeMillis()).build();
        List<Integer> featureIds = whole.getFeatureIds();
        List<Float> leverage = whole.getCrossLeverage();
        String saeId = whole.getSaeId();
        int from = 0;
        do {
            int to = Math.min(featureIds.size(), from + MAX_IDS_PER_RECORD);
            Alert alert =
                    Alert.newBuilder(whole)
                            .setFeatureIds(featureIds.subList(from, to))
                            .setCrossLeverage(leverage == null ? null : leverage.subList(from, to))
                            .build();
            try {
                producer.send(
                        new ProducerRecord<>(
                                topic,
                                saeId.getBytes(StandardCharsets.UTF_8),
                                serde.toBytes(alert)),
                        (m, e) -> {
                            if (e != null)
                                LOG.error(
                                        "could not send a {} alert for {}: {}",
                                        whole.getAlertType(),
                                        saeId,
                                        e.toString());
                        });
            } catch (org.apache.kafka.common.KafkaException e) {
                // The broker is away: what raised the alert must go on; the log keeps it.
                LOG.error(
                        "could not send a {} alert for {}: {}",
                        whole.getAlertType(),
                        saeId,
                        e.toString());
            }
            from += MAX_IDS_PER_RECORD;
        } while (from < featureIds.size());
        LOG.info(
                "alert {} {} {} v{}: {}",
                whole.getSeverity(),
                whole.getAlertType(),
                saeId,
                whole.getVersion(),
                whole.getMessage());
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}
