package dev.aenstream.topics;

import dev.aenstream.avro.KafkaConnection;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The idempotent (or transactional) byte-array producers the trainer, the model publisher and the
 * alerts share.
 */
public final class Producers {
    private Producers() {}

    public static KafkaProducer<byte[], byte[]> idempotent(
            KafkaConnection connection, String clientId) {
        return new KafkaProducer<>(
                idempotentSettings(connection, clientId),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    private static Properties idempotentSettings(KafkaConnection connection, String clientId) {
        Properties props = connection.client();
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return props;
    }

    /**
     * An idempotent producer with {@code transactionalId}, its transactions initialised: a newer
     * producer with the same id fences this one (its next transaction fails with {@code
     * ProducerFencedException}).
     */
    public static KafkaProducer<byte[], byte[]> transactional(
            KafkaConnection connection, String clientId, String transactionalId) {
        return transactional(connection, clientId, transactionalId, null);
    }

    /**
     * As {@link #transactional(KafkaConnection, String, String)}, with transactions that may stay
     * open up to {@code timeout} (null: the client's default, one minute).
     */
    public static KafkaProducer<byte[], byte[]> transactional(
            KafkaConnection connection,
            String clientId,
            String transactionalId,
            java.time.Duration timeout) {
        Properties props = idempotentSettings(connection, clientId);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        if (timeout != null)
            props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) timeout.toMillis());
        KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        try {
            producer.initTransactions();
            return producer;
        } catch (RuntimeException e) {
            producer.close();
            throw e;
        }
    }
}
