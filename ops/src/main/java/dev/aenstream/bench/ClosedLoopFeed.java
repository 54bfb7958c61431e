package dev.aenstream.bench;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Publishes on a thread of its own while at most a bounded backlog of rows waits to be encoded: a
 * closed loop measures the rate a pipeline sustains, not how fast Kafka buffers.
 */
final class ClosedLoopFeed implements AutoCloseable {
    /** Publishes one record; interrupted when the feed stops. */
    interface Publish {
        void next(long i) throws InterruptedException;
    }

    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    /**
     * Starts publishing with {@code publish} whenever fewer than {@code backlogRows} rows lie
     * between {@code published} and {@code encoded}.
     */
    ClosedLoopFeed(
            String name,
            LongSupplier published,
            LongSupplier encoded,
            long backlogRows,
            Publish publish) {
        thread =
                new Thread(
                        () -> {
                            try {
                                for (long i = 0; !stop.get(); i++) {
                                    while (published.getAsLong() - encoded.getAsLong() > backlogRows
                                            && !stop.get()) Thread.sleep(1);
                                    publish.next(i);
                                }
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        name);
        thread.start();
    }

    /** Stops publishing and waits for the record being published. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        thread.join();
    }
}
