package dev.aenstream.sae.train;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The cores a sparse step uses: a range of rows or features is cut into one piece per thread, the
 * caller doing the first piece itself.
 */
final class StepThreads implements AutoCloseable {
    /** Work on the indices {@code from} (inclusive) to {@code to} (exclusive). */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /** Ranges smaller than this are not worth a hand-off. */
    private static final int LEAST_PER_THREAD = 64;

    private final int threads;
    private final ExecutorService pool;

    StepThreads(int threads) {
        this.threads = Math.max(1, threads);
        this.pool =
                this.threads == 1
                        ? null
                        : Executors.newFixedThreadPool(
                                this.threads - 1,
                                r -> {
                                    Thread t = new Thread(r, "aen-sparse-step");
                                    t.setDaemon(true);
                                    return t;
                                });
    }

    int count() {
        return threads;
    }

    /** Runs {@code body} over {@code from..to} in one piece per thread and waits for them all. */
    void forRange(int from, int to, Range body) {
        int length = to - from;
        int pieces = Math.min(threads, Math.max(1, length / LEAST_PER_THREAD));
        if (pieces <= 1) {
            body.run(from, to);
            return;
        }
        List<Future<?>> others = new ArrayList<>(pieces - 1);
        for (int p = 1; p < pieces; p++) {
            int a = from + (int) ((long) length * p / pieces);
            int b = from + (int) ((long) length * (p + 1) / pieces);
            others.add(pool.submit(() -> body.run(a, b)));
        }
        body.run(from, from + length / pieces);
        await(others);
    }

    /** Runs {@code piece} for 0..{@code pieces}-1, one per thread at once, and waits for them. */
    void forPieces(int pieces, java.util.function.IntConsumer piece) {
        if (pieces <= 1 || pool == null) {
            for (int p = 0; p < pieces; p++) piece.accept(p);
            return;
        }
        List<Future<?>> others = new ArrayList<>(pieces - 1);
        for (int p = 1; p < pieces; p++) {
            int at = p;
            others.add(pool.submit(() -> piece.accept(at)));
        }
        piece.accept(0);
        await(others);
    }

    private static void await(List<Future<?>> others) {
        for (Future<?> f : others) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted in a training step", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                if (e.getCause() instanceof Error err) throw err;
                throw new IllegalStateException(e.getCause());
            }
        }
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
