package dev.aenstream.bench;

import java.time.Duration;

/**
 * A rate taken once a pipeline has filled: the count must start moving within a minute, the first
 * part of the phase is let pass, and the rest is measured.
 */
final class SettledRate {
    /**
     * Share of a phase spent filling the pipeline before the rate is taken. Half: the JIT compiles
     * a phase's hot code during its first seconds, taking a fifth of the CPU then (seen with perf).
     */
    private static final double SETTLE_SHARE = 0.5;

    private static final Duration FIRST_ROWS_TIMEOUT = Duration.ofSeconds(60);

    private SettledRate() {}

    /**
     * Rate of a growing count over the settled part of a phase of {@code seconds}, which starts
     * when the first rows arrive (a Kafka Streams application takes a few seconds to join its
     * group).
     */
    static double of(java.util.function.LongSupplier count, double seconds)
            throws InterruptedException {
        return of(count, seconds, () -> {});
    }

    /**
     * As {@link #of(java.util.function.LongSupplier, double)}; {@code started} runs as the measured
     * part begins.
     */
    static double of(java.util.function.LongSupplier count, double seconds, Runnable started)
            throws InterruptedException {
        long firstDeadline = System.nanoTime() + FIRST_ROWS_TIMEOUT.toNanos();
        while (count.getAsLong() == 0) {
            if (System.nanoTime() > firstDeadline)
                throw new IllegalStateException("no rows arrived within " + FIRST_ROWS_TIMEOUT);
            Thread.sleep(10);
        }
        Thread.sleep((long) (seconds * SETTLE_SHARE * 1000));
        started.run();
        long from = count.getAsLong();
        long start = System.nanoTime();
        Thread.sleep((long) (seconds * (1 - SETTLE_SHARE) * 1000));
        return (count.getAsLong() - from) / ((System.nanoTime() - start) / 1e9);
    }
}
