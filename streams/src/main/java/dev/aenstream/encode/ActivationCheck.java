package dev.aenstream.encode;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.RecordDecodingException;
import java.util.function.Supplier;
import org.apache.avro.specific.SpecificRecord;

/**
 * What every reader of the activations topic checks before it trusts a record, the encoders and the
 * trainer alike: bytes that decode under a schema this build knows, rows of the width it serves,
 * and a declared shape within the limit that the payload really holds. The shape is checked before
 * anything is allocated for it, so a small record cannot make a reader reserve gigabytes. Each
 * failure names the dead-letter reason it goes out with.
 */
public final class ActivationCheck {
    private final AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
    private final long maxRecordValues;

    /**
     * @param maxRecordValues the most values (rows × n) one record may declare
     */
    public ActivationCheck(long maxRecordValues) {
        if (maxRecordValues <= 0)
            throw new IllegalArgumentException(
                    "the most values per record must be positive, got " + maxRecordValues);
        this.maxRecordValues = Math.min(maxRecordValues, Integer.MAX_VALUE / Float.BYTES);
    }

    /** The batch the record's bytes hold. */
    public ActivationBatch decode(byte[] value) throws RejectedRecord {
        return decode(serde, value);
    }

    /**
     * The record {@code serde} reads from {@code value}, or why it goes to the dead letters: the
     * one reading of a record's bytes for every topic the encoders and trainer take in.
     */
    static <T extends SpecificRecord> T decode(AvroSerde<T> serde, byte[] value)
            throws RejectedRecord {
        if (value == null || value.length == 0)
            throw new RejectedRecord(DeadLetterReason.MALFORMED_BYTES, "empty record value");
        try {
            return serde.fromBytes(value);
        } catch (RecordDecodingException e) {
            DeadLetterReason reason =
                    e.problem() == RecordDecodingException.Problem.UNKNOWN_SCHEMA
                            ? DeadLetterReason.UNKNOWN_SCHEMA
                            : DeadLetterReason.MALFORMED_BYTES;
            throw new RejectedRecord(reason, e.getMessage());
        }
    }

    /**
     * Rows of width {@code n}, as {@code whose} (named in the detail; asked only on a mismatch, so
     * the hot path builds no string) expects.
     */
    public void width(ActivationBatch batch, int n, Supplier<String> whose) throws RejectedRecord {
        if (batch.getN() != n)
            throw new RejectedRecord(
                    DeadLetterReason.WRONG_WIDTH,
                    "rows have width n="
                            + batch.getN()
                            + " but "
                            + whose.get()
                            + " expects n="
                            + n
                            + " (source "
                            + batch.getSourceModel()
                            + " "
                            + batch.getHookPoint()
                            + ")");
    }

    /**
     * At least one row, at most the limit's values, and a payload of exactly rows × n elements of
     * its dtype; returns rows × n.
     */
    public int shape(ActivationBatch batch) throws RejectedRecord {
        int n = batch.getN();
        int count = batch.getRows();
        if (count <= 0 || n <= 0)
            throw new RejectedRecord(
                    DeadLetterReason.MALFORMED_BYTES,
                    "batch declares " + count + " rows of width " + n);
        long size = (long) count * n;
        if (size > maxRecordValues)
            throw new RejectedRecord(
                    DeadLetterReason.TOO_LARGE,
                    "batch declares "
                            + count
                            + " x "
                            + n
                            + " = "
                            + size
                            + " values, over the limit of "
                            + maxRecordValues
                            + " (--max-record-values)");
        long expected = size * Matrices.bytesPerElement(batch.getDtype());
        if (batch.getPayload().remaining() != expected)
            throw new RejectedRecord(
                    DeadLetterReason.MALFORMED_BYTES,
                    "payload has "
                            + batch.getPayload().remaining()
                            + " bytes, but "
                            + count
                            + " rows x "
                            + n
                            + " "
                            + batch.getDtype()
                            + " need "
                            + expected);
        return (int) size;
    }
}
