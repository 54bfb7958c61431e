package dev.aenstream.topics;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/** Reading whole topics without a consumer group: every partition, assigned directly. */
public final class Partitions {
    private Partitions() {}

    /** Every partition of the topics. */
    public static List<TopicPartition> of(Consumer<?, ?> consumer, String... topics) {
        List<TopicPartition> out = new ArrayList<>();
        for (String topic : topics) {
            consumer.partitionsFor(topic)
                    .forEach(p -> out.add(new TopicPartition(p.topic(), p.partition())));
        }
        return out;
    }

    /** Assigns every partition of the topics to the consumer and returns them. */
    public static List<TopicPartition> assignAll(Consumer<?, ?> consumer, String... topics) {
        List<TopicPartition> partitions = of(consumer, topics);
        consumer.assign(partitions);
        return partitions;
    }
}
