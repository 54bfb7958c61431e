package dev.aenstream.encode;

import dev.aenstream.avro.KafkaConnection;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The encode application: one Kafka Streams instance running {@link EncodeTopology}. */
public final class EncodeApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EncodeApp.class);
    private final KafkaStreams streams;
    private final EncodeStats stats = new EncodeStats();

    private final RetentionWatch retention;

    /** An application that logs the records retention removed before it read them. */
    public EncodeApp(KafkaConnection connection, EncodeConfig config, SaeRegistry registry) {
        this(
                connection,
                config,
                registry,
                (topic, partition, from, to) ->
                        LOG.warn(
                                "{} activation records of {}-{} (offsets {} to {}) were removed by"
                                        + " retention before this encoder read them",
                                to - from,
                                topic,
                                partition,
                                from,
                                to - 1));
    }

    /**
     * @param lost hears of activation records retention removed before this encoder read them
     */
    public EncodeApp(
            KafkaConnection connection,
            EncodeConfig config,
            SaeRegistry registry,
            RetentionWatch.Lost lost) {
        this.retention = new RetentionWatch(Admin.create(connection.client()), lost);
        // Transactions are sized for the widest SAE served now (the caller waits for them).
        int widestD = registry.serving().stream().mapToInt(ServingSae::d).max().orElse(0);
        this.streams =
                new KafkaStreams(
                        EncodeTopology.build(
                                config.topics(),
                                registry,
                                stats,
                                config.monitor(),
                                config.limits(widestD),
                                EncodeRetries.withBackoff(),
                                retention),
                        config.streamsProperties(connection, widestD));
        streams.setUncaughtExceptionHandler(
                e -> {
                    // Bad records never get here (they go to the dead letters); this is a broker or
                    // client failure.
                    LOG.error("encode stream thread failed; replacing it", e);
                    return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                            .REPLACE_THREAD;
                });
    }

    public EncodeStats stats() {
        return stats;
    }

    /**
     * Binds the Kafka Streams client metrics (consumer lag among them) to Micrometer's global
     * registry.
     */
    public void bindMetrics() {
        new KafkaStreamsMetrics(streams).bindTo(Metrics.globalRegistry);
    }

    public void start() {
        streams.start();
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Waits until the application runs (partitions assigned), or the timeout passes. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (streams.state() == KafkaStreams.State.RUNNING) return true;
            if (streams.state() == KafkaStreams.State.ERROR
                    || streams.state() == KafkaStreams.State.NOT_RUNNING) return false;
            Thread.sleep(50);
        }
        return false;
    }

    @Override
    public void close() {
        streams.close(Duration.ofSeconds(30));
        try {
            retention.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
