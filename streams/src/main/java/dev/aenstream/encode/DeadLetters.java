package dev.aenstream.encode;

import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.DeadLetterReason;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Builds dead letters that always fit the dead-letter topic: the original value whole when it fits,
 * else its first bytes, its size and SHA-256, and where to find the whole (topic, partition,
 * offset), marked {@code valueTruncated}.
 */
public final class DeadLetters {
    /** How much of a value too large to carry a dead letter keeps. */
    static final int KEPT_PREFIX_BYTES = 4096;

    /** How much of an explanation a dead letter keeps; an exception's message can be huge. */
    static final int MAX_DETAIL_CHARS = 4096;

    /** Where the record a dead letter stands for was read. */
    public record Source(String topic, int partition, long offset) {
        /** An unknown place. */
        public static final Source UNKNOWN = new Source("", -1, -1);

        /** Where the record {@code context} is processing was read, if Kafka Streams says. */
        public static Source of(ProcessorContext<?, ?> context) {
            return context.recordMetadata()
                    .map(m -> new Source(m.topic(), m.partition(), m.offset()))
                    .orElse(UNKNOWN);
        }
    }

    private DeadLetters() {}

    /** A dead letter of at most {@code maxRecordBytes} for the record at {@code source}. */
    public static DeadLetter of(
            DeadLetterReason reason,
            String detail,
            String application,
            Source source,
            byte[] key,
            byte[] value,
            long timestampMs,
            int maxRecordBytes) {
        String shortDetail =
                detail.length() <= MAX_DETAIL_CHARS
                        ? detail
                        : detail.substring(0, MAX_DETAIL_CHARS) + "... (cut)";
        long budget = (long) maxRecordBytes - CodesRecords.RECORD_OVERHEAD_BYTES;
        long used = (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        boolean truncated = value != null && used > budget;
        byte[] kept =
                truncated ? Arrays.copyOf(value, Math.min(value.length, KEPT_PREFIX_BYTES)) : value;
        byte[] keptKey =
                key != null && key.length > budget / 2
                        ? Arrays.copyOf(key, KEPT_PREFIX_BYTES)
                        : key;
        return DeadLetter.newBuilder()
                .setReason(reason)
                .setDetail(shortDetail)
                .setApplication(application)
                .setSourceTopic(source.topic())
                .setSourcePartition(source.partition())
                .setSourceOffset(source.offset())
                .setKey(keptKey == null ? null : ByteBuffer.wrap(keptKey))
                .setValue(kept == null ? null : ByteBuffer.wrap(kept))
                .setTimestampMs(timestampMs)
                .setValueTruncated(truncated)
                .setValueSize(value == null ? -1 : value.length)
                .setValueSha256(value == null ? null : ByteBuffer.wrap(sha256(value)))
                .build();
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
