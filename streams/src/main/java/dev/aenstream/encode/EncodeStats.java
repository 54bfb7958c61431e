package dev.aenstream.encode;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Running counts of one encode application for progress lines and metrics. Each record counts once:
 * a record encoded again after its transaction was aborted (a fenced or timed-out producer, a
 * failed task) was counted the first time, so the figures match what the codes topic holds.
 */
public final class EncodeStats {
    /** Per activations partition, the offset after the last record counted. */
    private final ConcurrentHashMap<Integer, Long> countedUpTo = new ConcurrentHashMap<>();

    private final LongAdder records = new LongAdder();
    private final LongAdder rows = new LongAdder();
    private final LongAdder activeFeatures = new LongAdder();
    private final LongAdder deadLetters = new LongAdder();
    private final LongAdder mismatched = new LongAdder();

    void encoded(int rowCount, long active) {
        records.increment();
        rows.add(rowCount);
        activeFeatures.add(active);
    }

    /**
     * True the first time the record at {@code offset} of {@code partition} is counted, then false:
     * a task reads a partition in order, and one encoded again starts behind what it counted.
     */
    boolean firstCount(int partition, long offset) {
        boolean[] first = {false};
        countedUpTo.compute(
                partition,
                (p, next) -> {
                    if (next != null && offset < next) return next;
                    first[0] = true;
                    return offset + 1;
                });
        return first[0];
    }

    void deadLettered() {
        deadLetters.increment();
    }

    void passedOver() {
        mismatched.increment();
    }

    /**
     * Times a served SAE passed over a record of another source (model or hook) than it is bound
     * to: counted, never encoded.
     */
    public long mismatched() {
        return mismatched.sum();
    }

    public long records() {
        return records.sum();
    }

    public long rows() {
        return rows.sum();
    }

    public long deadLetters() {
        return deadLetters.sum();
    }

    /** Mean active features per row (l0, before the top-k cut) over everything counted. */
    public double meanL0() {
        long r = rows.sum();
        return r == 0 ? 0 : (double) activeFeatures.sum() / r;
    }
}
