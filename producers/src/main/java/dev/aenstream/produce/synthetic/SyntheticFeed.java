package dev.aenstream.produce.synthetic;

import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.Pace;
import java.util.function.BooleanSupplier;

/**
 * Generates spiked rows and publishes them, at a target rate, until told to stop or a row budget is
 * spent.
 */
public final class SyntheticFeed {
    private final SpikedGenerator generator;
    private final ActivationPublisher publisher;
    private final double rowsPerSecond;

    public SyntheticFeed(
            SpikedGenerator generator, ActivationPublisher publisher, double rowsPerSecond) {
        this.generator = generator;
        this.publisher = publisher;
        this.rowsPerSecond = rowsPerSecond;
    }

    /**
     * Publishes until {@code maxRows} (0: no limit) rows are out or {@code stop} says so; returns
     * rows published.
     */
    public long run(long maxRows, BooleanSupplier stop) throws InterruptedException {
        int n = generator.config().get(SpikedConfig.N);
        int chunk = publisher.config().get(dev.aenstream.produce.PublisherConfig.ROWS_PER_RECORD);
        float[] x = new float[chunk * n];
        Pace pace = new Pace(rowsPerSecond);
        long published = 0;
        while (!stop.getAsBoolean() && (maxRows == 0 || published < maxRows)) {
            int rows = (int) Math.min(chunk, maxRows == 0 ? chunk : maxRows - published);
            generator.next(x, 0, rows);
            publisher.publish(x, rows, n);
            published += rows;
            pace.await(published);
        }
        publisher.flush();
        return published;
    }
}
