package dev.aenstream.encode;

import java.util.concurrent.atomic.LongAdder;

/**
 * Running counts of one encode application for progress lines and metrics. Under exactly-once a
 * retried batch is counted again, so these are for people watching, not for accounting.
 */
public final class EncodeStats {
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
