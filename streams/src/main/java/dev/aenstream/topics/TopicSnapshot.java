package dev.aenstream.topics;

import dev.aenstream.avro.KafkaConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Every committed record of a topic, from its start to its end at the moment of reading. */
public final class TopicSnapshot {
    private static final Duration LIMIT = Duration.ofSeconds(120);

    private TopicSnapshot() {}

    /**
     * The committed records of {@code topic} up to its end now, in order per partition.
     *
     * @throws IllegalStateException when the topic cannot be read to its end in two minutes
     */
    public static List<ConsumerRecord<byte[], byte[]>> read(
            KafkaConnection connection, String topic) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        forEach(connection, topic, out::add);
        return out;
    }

    /**
     * Hands each committed record of {@code topic} up to its end now to {@code sink}, in order per
     * partition, without holding them: for topics too large to keep in memory (model versions).
     *
     * @throws IllegalStateException when the topic cannot be read to its end in two minutes
     */
    public static void forEach(
            KafkaConnection connection,
            String topic,
            java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> sink) {
        var props = connection.client();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 << 20);
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = Partitions.assignAll(c, topic);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions);
            long deadline = System.nanoTime() + LIMIT.toNanos();
            while (partitions.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline)
                    throw new IllegalStateException(
                            "could not read " + topic + " to its end in " + LIMIT);
                c.poll(Duration.ofMillis(500)).forEach(sink);
            }
        }
    }
}
