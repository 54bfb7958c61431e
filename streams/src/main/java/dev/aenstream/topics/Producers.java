package dev.aenstream.topics;

import dev.aenstream.avro.KafkaConnection;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The idempotent byte-array producers the trainer, the model publisher and the alerts share. */
public final class Producers {
    private Producers() {}

    public static KafkaProducer<byte[], byte[]> idempotent(
            KafkaConnection connection, String clientId) {
        Properties props = connection.client();
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
