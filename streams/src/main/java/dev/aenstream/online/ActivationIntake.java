package dev.aenstream.online;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.RowIds;
import dev.aenstream.avro.SourceBinding;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.ActivationCheck;
import dev.aenstream.encode.DeadLetters;
import dev.aenstream.encode.RecordLimits;
import dev.aenstream.encode.RejectedRecord;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns activation records into rows to train on: decodes and checks each record, keeps the ones of
 * the source the SAEs are bound to, normalises, and sets rows holding NaN or Inf aside as dead
 * letters. It counts what it read, so that a checkpoint can show every row was read exactly once.
 */
final class ActivationIntake {
    private static final Logger LOG = LoggerFactory.getLogger(ActivationIntake.class);

    /** The application named in the dead letters the trainer sends. */
    static final String APPLICATION = "train";

    private final int n;
    private final boolean normalise;
    private final SourceBinding configured;
    private final TrainerOutputs outputs;
    private final ActivationCheck check =
            new ActivationCheck(RecordLimits.defaults().maxRecordValues());
    private float[] rows = new float[0];

    /** The records the SAEs take: the configured binding, its open sides filled by the first. */
    private volatile SourceBinding source;

    private long rowsRead;
    private long rowsDeadLettered;
    private long rowChecksum;
    private long skippedRecords;
    private long recordsMismatched;

    ActivationIntake(int n, boolean normalise, SourceBinding source, TrainerOutputs outputs) {
        this.n = n;
        this.normalise = normalise;
        this.configured = source;
        this.source = source;
        this.outputs = outputs;
    }

    /**
     * Continues the counts and the source binding of a checkpoint: SAEs resumed on a topic carrying
     * several hooks learn on from the one they learned from.
     *
     * @throws IllegalArgumentException when the binding asked for now is another
     */
    void restore(TrainerManifest manifest) {
        SourceBinding saved = manifest.source();
        if (!saved.isAny()) {
            String model = pick(configured.sourceModel(), saved.sourceModel(), "--source-model");
            String hook = pick(configured.hookPoint(), saved.hookPoint(), "--hook-point");
            source = new SourceBinding(model, hook);
            LOG.info("the SAEs learn on from records of {}, as before the checkpoint", source);
        }
        rowsRead = manifest.rowsRead();
        rowsDeadLettered = manifest.rowsDeadLettered();
        rowChecksum = manifest.rowChecksum();
    }

    /**
     * Takes one record; returns how many rows of it to train on, at the front of {@link #rows()}.
     */
    int take(ActivationSource.Arrival record) {
        ActivationBatch a = decode(record);
        if (a == null) return 0;
        if (!takes(a)) {
            recordsMismatched++;
            return 0;
        }
        int count = a.getRows();
        if (rows.length < count * n) rows = new float[count * n];
        Matrices.decode(a.getPayload(), a.getDtype(), count, n, FloatBuffer.wrap(rows));
        if (normalise && a.getNormalisation() == Normalisation.NONE)
            Matrices.normaliseRows(rows, 0, count, n);
        rowsRead += count;
        return keepFinite(a, record);
    }

    /** The side of the binding asked for now, else the checkpoint's; refuses two different. */
    private static String pick(String asked, String saved, String flag) {
        if (asked == null || saved == null || asked.equals(saved))
            return asked == null ? saved : asked;
        throw new IllegalArgumentException(
                "the checkpoint's SAEs learned from "
                        + saved
                        + " but "
                        + flag
                        + " asks for "
                        + asked
                        + ": an SAE trained on two sources learns neither; start it with a new"
                        + " --checkpoint-dir");
    }

    /** The rows {@link #take} kept, first. */
    float[] rows() {
        return rows;
    }

    private ActivationBatch decode(ActivationSource.Arrival record) {
        try {
            ActivationBatch a = check.decode(record.value());
            check.width(a, n, () -> "the SAEs trained here");
            check.shape(a);
            return a;
        } catch (RejectedRecord e) {
            // The encoders send such records to the dead letters; the trainer only has to stay off
            // them.
            skippedRecords++;
            if (Long.bitCount(skippedRecords) == 1) {
                LOG.warn(
                        "skipped {} unusable activation record(s) so far; latest at {}@{}: {} {}",
                        skippedRecords,
                        record.position(),
                        record.offset(),
                        e.reason(),
                        e.getMessage());
            }
            return null;
        }
    }

    /**
     * Whether the SAEs take this record: one source model and hook point, the configured one or,
     * where it is open, the first record's. An SAE trained on two hooks would learn neither.
     */
    private boolean takes(ActivationBatch a) {
        SourceBinding bound = source;
        if (bound.sourceModel() == null || bound.hookPoint() == null) {
            if (!bound.matches(a)) return false;
            source =
                    new SourceBinding(
                            bound.sourceModel() == null ? a.getSourceModel() : bound.sourceModel(),
                            bound.hookPoint() == null ? a.getHookPoint() : bound.hookPoint());
            LOG.info(
                    "the SAEs learn from records of {}{}",
                    source,
                    configured.isAny()
                            ? " (the first record's; --source-model and --hook-point choose)"
                            : "");
            return true;
        }
        if (bound.matches(a)) return true;
        if (recordsMismatched == 0)
            LOG.warn(
                    "passing over records of {}: the SAEs here learn from {} (counted in"
                            + " recordsMismatched)",
                    SourceBinding.of(a),
                    bound);
        return false;
    }

    /**
     * Moves the finite rows to the front and returns how many; the others go to the dead letters
     * with their row numbers, so one bad row costs that row, not its batch.
     */
    private int keepFinite(ActivationBatch a, ActivationSource.Arrival record) {
        int count = a.getRows();
        List<Integer> bad = new ArrayList<>();
        int kept = 0;
        for (int r = 0; r < count; r++) {
            boolean finite = true;
            for (int j = r * n; j < (r + 1) * n && finite; j++) finite = Float.isFinite(rows[j]);
            if (!finite) {
                bad.add(r);
                continue;
            }
            if (kept != r) System.arraycopy(rows, r * n, rows, kept * n, n);
            kept++;
            rowChecksum += RowIds.hash(a.getProducerId(), a.getSequence(), r);
        }
        if (!bad.isEmpty()) {
            rowsDeadLettered += bad.size();
            DeadLetter letter =
                    DeadLetters.of(
                            DeadLetterReason.NON_FINITE,
                            "rows "
                                    + bad
                                    + " of "
                                    + count
                                    + " hold NaN or Inf"
                                    + (normalise ? " (after normalisation)" : "")
                                    + "; the trainer trained on the other "
                                    + kept,
                            APPLICATION,
                            new DeadLetters.Source(
                                    record.topic(), record.partition(), record.offset()),
                            record.key(),
                            record.value(),
                            record.timestampMs(),
                            Topics.MAX_MESSAGE_BYTES);
            outputs.deadLetter(record.key(), letter);
        }
        return kept;
    }

    SourceBinding source() {
        return source;
    }

    long rowsRead() {
        return rowsRead;
    }

    long rowsDeadLettered() {
        return rowsDeadLettered;
    }

    long rowChecksum() {
        return rowChecksum;
    }

    long skippedRecords() {
        return skippedRecords;
    }

    long recordsMismatched() {
        return recordsMismatched;
    }
}
