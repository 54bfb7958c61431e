package dev.aenstream.produce.splice;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SpliceFigures;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends splice figures to their topic, keyed by SAE id. A figure that cannot be sent is logged and
 * dropped: the next one of the same version holds it too (figures are cumulative per version), and
 * the producer's activations must not wait for it.
 */
public final class SpliceFiguresPublisher implements Consumer<SpliceFigures>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpliceFiguresPublisher.class);

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final AvroSerde<SpliceFigures> serde = new AvroSerde<>(SpliceFigures.class);

    public SpliceFiguresPublisher(KafkaConnection connection, String topic, String producerId) {
        Properties props = connection.client();
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "aen-splice-" + producerId);
        this.producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topic;
    }

    @Override
    public void accept(SpliceFigures figures) {
        String saeId = figures.getSaeId().toString();
        try {
            producer.send(
                    new ProducerRecord<>(
                            topic, saeId.getBytes(StandardCharsets.UTF_8), serde.toBytes(figures)),
                    (m, e) -> {
                        if (e != null)
                            LOG.warn(
                                    "could not send splice figures of {}: {}", saeId, e.toString());
                    });
        } catch (KafkaException e) {
            LOG.warn("could not send splice figures of {}: {}", saeId, e.toString());
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
