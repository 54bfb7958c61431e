package dev.aenstream.sae.train;

import java.util.Arrays;

/**
 * Per-feature activity over tokens: a feature is dead when it has not fired (|h_j| > 1e-12) in the
 * last {@code windowTokens} tokens (fewer while fewer have been seen); densities are counted over
 * tumbling windows of the same length and reported as a log10 histogram of the last complete
 * window. Between consecutive tumbling windows it also counts recoveries: features dead over one
 * window (no fire in it) that fire in the next.
 */
public final class FeatureWindow {
    /**
     * The dead window unless configured, shared by the trainer, the monitor and the experiments: a
     * feature is dead when it has not fired in this many tokens. 2,560,000 is the authors' window
     * of 10,000 steps of 256 rows; OpenAI and EleutherAI use 10M tokens on language models.
     */
    public static final long DEFAULT_DEAD_WINDOW_TOKENS = 2_560_000;

    /** Histogram bins: never fired, then one per decade from 1e-7 up to 1. */
    public static final int DECADES = 7;

    private final long windowTokens;
    private final long[] lastFired;
    private final long[] counts;
    private long tokens;
    private long windowStart;
    private long[] histogram = new long[DECADES + 1];
    private boolean[] deadBefore;
    private long deadCarried;
    private long revived;

    public FeatureWindow(int d, long windowTokens) {
        if (windowTokens <= 0)
            throw new IllegalArgumentException("window must be positive, got " + windowTokens);
        this.windowTokens = windowTokens;
        this.lastFired = new long[d];
        Arrays.fill(lastFired, -1);
        this.counts = new long[d];
    }

    /** Records one batch of {@code rows} tokens with its per-feature fire counts. */
    public void add(int rows, float[] fireCounts) {
        long end = tokens + rows;
        for (int j = 0; j < counts.length; j++) {
            if (fireCounts[j] > 0) {
                lastFired[j] = end;
                counts[j] += (long) fireCounts[j];
            }
        }
        tokens = end;
        if (tokens - windowStart >= windowTokens) closeWindow();
    }

    private void closeWindow() {
        long[] h = new long[DECADES + 1];
        double span = tokens - windowStart;
        for (long c : counts) h[bin(c / span)]++;
        histogram = h;
        boolean[] dead = new boolean[counts.length];
        for (int j = 0; j < counts.length; j++) {
            dead[j] = counts[j] == 0;
            if (deadBefore != null && deadBefore[j]) {
                deadCarried++;
                if (!dead[j]) revived++;
            }
        }
        deadBefore = dead;
        Arrays.fill(counts, 0);
        windowStart = tokens;
    }

    /**
     * Share of the features dead over one tumbling window that fired in the next, over every pair
     * of consecutive windows so far; NaN until a dead feature has had a next window.
     */
    public double recoveryRate() {
        return deadCarried == 0 ? Double.NaN : (double) revived / deadCarried;
    }

    /** Histogram bin of a density: 0 for never, else 1 + decade index from 1e-7 (clamped). */
    public static int bin(double density) {
        if (density <= 0) return 0;
        int decade = (int) Math.floor(Math.log10(density)) + DECADES;
        return 1 + Math.max(0, Math.min(DECADES - 1, decade));
    }

    public long tokens() {
        return tokens;
    }

    /** The dead window's length in tokens. */
    public long windowTokens() {
        return windowTokens;
    }

    /** Percentage of features that did not fire in the last window of tokens. */
    public double deadPct() {
        if (tokens == 0) return 0;
        long since = Math.max(0, tokens - windowTokens);
        int dead = 0;
        for (long t : lastFired) if (t <= since) dead++;
        return 100.0 * dead / lastFired.length;
    }

    /** Whether a whole window of tokens has been seen, so that "dead" means what it says. */
    public boolean windowComplete() {
        return tokens >= windowTokens;
    }

    /** Ids of the features that did not fire in the last window of tokens. */
    public int[] deadFeatures() {
        long since = Math.max(0, tokens - windowTokens);
        return java.util.stream.IntStream.range(0, lastFired.length)
                .filter(j -> lastFired[j] <= since)
                .toArray();
    }

    /**
     * Feature counts per density bin of the last complete window (all zero before one completes).
     */
    public long[] densityHistogram() {
        return histogram.clone();
    }

    /** Labels of the histogram bins. */
    public static String[] binLabels() {
        String[] labels = new String[DECADES + 1];
        labels[0] = "never";
        for (int i = 1; i <= DECADES; i++) labels[i] = "1e" + (i - 1 - DECADES);
        return labels;
    }

    public long[] lastFired() {
        return lastFired.clone();
    }

    /** Restores the sliding part from a checkpoint. */
    public void restore(long tokensSeen, long[] savedLastFired) {
        System.arraycopy(savedLastFired, 0, lastFired, 0, lastFired.length);
        tokens = tokensSeen;
        windowStart = tokensSeen;
        Arrays.fill(counts, 0);
    }
}
