package dev.aenstream.produce;

/** Keeps a producer at a target rate of rows per second by sleeping when it is ahead. */
public final class Pace {
    private final double rowsPerSecond;
    private final long start = System.nanoTime();

    /** A rate of 0 or less means as fast as possible. */
    public Pace(double rowsPerSecond) {
        this.rowsPerSecond = rowsPerSecond;
    }

    /** Sleeps until {@code rowsSoFar} rows are due. */
    public void await(long rowsSoFar) throws InterruptedException {
        if (rowsPerSecond <= 0) return;
        long ahead = (long) (rowsSoFar / rowsPerSecond * 1e9) - (System.nanoTime() - start);
        if (ahead > 0) Thread.sleep(ahead / 1_000_000, (int) (ahead % 1_000_000));
    }
}
