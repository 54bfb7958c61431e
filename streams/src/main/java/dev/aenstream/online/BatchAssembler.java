package dev.aenstream.online;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Turns records of any size into fixed-size training batches. Without shuffling, rows leave in
 * arrival order; with a shuffle buffer of S rows, a batch is drawn at random once S + batch rows
 * wait. The rows still waiting are part of a checkpoint, so a resumed run trains on each row
 * exactly once.
 */
public final class BatchAssembler {
    private final int n;
    private final int batch;
    private final int shuffleRows;
    private final SplittableRandom random;
    private float[] rows;
    private int count;

    public BatchAssembler(int n, int batch, int shuffleRows, long seed) {
        if (n <= 0 || batch <= 0 || shuffleRows < 0)
            throw new IllegalArgumentException("need n, batch > 0 and shuffle >= 0");
        this.n = n;
        this.batch = batch;
        this.shuffleRows = shuffleRows;
        this.random = new SplittableRandom(seed);
        this.rows = new float[(batch + shuffleRows) * n];
    }

    public void add(float[] x, int offset, int rowCount) {
        ensure(count + rowCount);
        System.arraycopy(x, offset, rows, count * n, rowCount * n);
        count += rowCount;
    }

    private void ensure(int capacityRows) {
        if (capacityRows * n > rows.length)
            rows = Arrays.copyOf(rows, Math.max(capacityRows, count * 2) * n);
    }

    public boolean ready() {
        return count >= batch + shuffleRows;
    }

    /** Moves one batch into {@code dst}; call only when {@link #ready()}. */
    public void take(float[] dst) {
        if (!ready()) throw new IllegalStateException("only " + count + " rows wait");
        if (shuffleRows == 0) {
            System.arraycopy(rows, 0, dst, 0, batch * n);
            System.arraycopy(rows, batch * n, rows, 0, (count - batch) * n);
        } else {
            for (int b = 0; b < batch; b++) {
                int pick = random.nextInt(count);
                System.arraycopy(rows, pick * n, dst, b * n, n);
                // The last row fills the hole, so the buffer stays dense.
                System.arraycopy(rows, (count - 1) * n, rows, pick * n, n);
                count--;
            }
            return;
        }
        count -= batch;
    }

    /** Rows waiting, row-major. */
    public float[] pending() {
        return Arrays.copyOf(rows, count * n);
    }

    public int pendingRows() {
        return count;
    }

    /** Puts rows saved in a checkpoint back. */
    public void restore(float[] saved) {
        count = 0;
        add(saved, 0, saved.length / n);
    }
}
