package dev.aenstream.encode;

import java.util.function.Consumer;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Where the encoder is in each activations partition: the offset after the last record it read,
 * kept in a store so that it moves with its task and commits with its codes. A record further on
 * means the offsets between were skipped; whether retention removed them or they were never rows
 * (transaction markers, aborted records) is for {@link RetentionWatch} to tell.
 */
final class ReadPositions {
    /** Skipped offsets {@code [from, to)} of one partition. */
    record Skipped(String topic, int partition, long from, long to) {}

    private final KeyValueStore<Integer, Long> store;
    private final Consumer<Skipped> skipped;

    ReadPositions(KeyValueStore<Integer, Long> store, Consumer<Skipped> skipped) {
        this.store = store;
        this.skipped = skipped;
    }

    void read(RecordMetadata record) {
        Long next = store.get(record.partition());
        if (next != null && record.offset() > next)
            skipped.accept(new Skipped(record.topic(), record.partition(), next, record.offset()));
        if (next == null || record.offset() >= next)
            store.put(record.partition(), record.offset() + 1);
    }
}
