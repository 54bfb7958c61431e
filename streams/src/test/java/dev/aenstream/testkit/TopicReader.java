package dev.aenstream.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a topic from its start, in tests, with a consumer group of its own. */
public final class TopicReader {
    private TopicReader() {}

    /**
     * Reads until {@code expected} records arrived or {@code timeout} passed, then keeps reading
     * for {@code settle} (so that a duplicate beyond the expected count would show). {@code
     * readCommitted} hides records of aborted transactions.
     */
    public static List<ConsumerRecord<byte[], byte[]>> read(
            String bootstrap,
            String topic,
            boolean readCommitted,
            int expected,
            Duration timeout,
            Duration settle) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        Map<String, Object> props =
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.GROUP_ID_CONFIG,
                        "test-reader-" + UUID.randomUUID(),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        readCommitted ? "read_committed" : "read_uncommitted");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + timeout.toMillis();
            while (records.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(300)).forEach(records::add);
            }
            long settled = System.currentTimeMillis() + settle.toMillis();
            while (System.currentTimeMillis() < settled)
                consumer.poll(Duration.ofMillis(300)).forEach(records::add);
        }
        return records;
    }

    /** Everything a topic holds after reading it for {@code duration}. */
    public static List<ConsumerRecord<byte[], byte[]>> readFor(
            String bootstrap, String topic, boolean readCommitted, Duration duration) {
        return read(bootstrap, topic, readCommitted, Integer.MAX_VALUE, duration, Duration.ZERO);
    }
}
