package dev.aenstream.encode;

import dev.aenstream.avro.Topics;

/**
 * How large a record the encoder takes and writes.
 *
 * @param maxRecordValues the most values (rows × n) one activation record may declare; a larger one
 *     becomes a {@code TOO_LARGE} dead letter before anything is allocated for it
 * @param maxRecordBytes the largest record the codes and dead-letter topics take: larger codes are
 *     split into parts, a larger dead letter carries a reference to its input instead of all of it
 * @param transactionTimeoutMs how long encoding one record may take under exactly-once before its
 *     transaction times out; a record that takes a good part of it is logged with the remedy
 */
public record RecordLimits(long maxRecordValues, int maxRecordBytes, long transactionTimeoutMs) {
    /** The smallest record limit that leaves room for codes and dead letters. */
    static final int MIN_RECORD_BYTES = 2 * CodesRecords.RECORD_OVERHEAD_BYTES;

    /** Limits with the transaction timeout an encoder of a narrow SAE gets by default. */
    public RecordLimits(long maxRecordValues, int maxRecordBytes) {
        this(maxRecordValues, maxRecordBytes, EncodeConfig.BASE_TRANSACTION_TIMEOUT_MS);
    }

    public RecordLimits {
        if (maxRecordValues <= 0)
            throw new IllegalArgumentException(
                    "the most values per record must be positive, got " + maxRecordValues);
        if (maxRecordBytes < MIN_RECORD_BYTES)
            throw new IllegalArgumentException(
                    "the record limit must be at least "
                            + MIN_RECORD_BYTES
                            + " bytes, got "
                            + maxRecordBytes);
        // The setting's 0 means "sized by the SAE" and is resolved before limits are made.
        if (transactionTimeoutMs <= 0)
            throw new IllegalArgumentException(
                    "the transaction timeout must be positive, got "
                            + transactionTimeoutMs
                            + " ms");
    }

    /** {@link EncodeConfig#MAX_RECORD_VALUES}' default in, records up to aen's topic limit out. */
    public static RecordLimits defaults() {
        return new RecordLimits(
                EncodeConfig.MAX_RECORD_VALUES.defaultValue(), Topics.MAX_MESSAGE_BYTES);
    }
}
