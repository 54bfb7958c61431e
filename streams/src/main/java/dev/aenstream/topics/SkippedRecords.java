package dev.aenstream.topics;

import dev.aenstream.avro.AvroSerde;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The records of one topic, read by a command, that it cannot use: bytes that do not decode, or a
 * record that does not hold together. They are skipped and counted, so that one stray record
 * neither stops the command nor goes unsaid; a topic is untrusted input.
 */
public final class SkippedRecords {
    private final String topic;
    private final String type;
    private long count;
    private String first;

    /** Records of {@code topic} that should each hold a {@code type}. */
    public SkippedRecords(String topic, Class<? extends SpecificRecord> type) {
        this.topic = topic;
        this.type = type.getSimpleName();
    }

    /**
     * The value of {@code r} decoded by {@code serde}, or null (skipped) when it does not decode.
     */
    public <T extends SpecificRecord> T decode(
            AvroSerde<T> serde, ConsumerRecord<byte[], byte[]> r) {
        try {
            return serde.fromBytes(r.value());
        } catch (RuntimeException e) {
            skip(r, e.getMessage());
            return null;
        }
    }

    /** Counts {@code r} as skipped, for {@code reason}. */
    public void skip(ConsumerRecord<?, ?> r, String reason) {
        if (count++ == 0)
            first = r.topic() + "-" + r.partition() + "@" + r.offset() + ": " + reason;
    }

    /**
     * Says what was skipped, in one line, to {@code out} (a log, stderr); nothing if nothing was.
     */
    public void report(Consumer<String> out) {
        if (count == 0) return;
        out.accept(
                String.format(
                        "skipped %d record%s of %s that %s no usable %s (the first at %s)",
                        count,
                        count == 1 ? "" : "s",
                        topic,
                        count == 1 ? "is" : "are",
                        type,
                        first));
    }
}
