package dev.aenstream.node;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.encode.EncodeApp;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.EncodeStats;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.models.ModelFollower;
import dev.aenstream.models.ModelTrust;
import dev.aenstream.monitor.AlertPublisher;
import dev.aenstream.monitor.FollowerAlerts;
import dev.aenstream.monitor.RetentionAlerts;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.runtime.Device;
import java.time.Duration;
import java.util.List;

/**
 * One encoder, as every command that runs one starts it: the SAEs it serves (one fixed SAE, or each
 * version the models topic brings, admitted, loaded and swapped by a follower whose refusals become
 * alerts), and the Kafka Streams application that encodes activations with them. The application
 * starts with {@link #startEncoding}, so a caller can wait for the first versions first, or only
 * serve.
 */
public final class EncoderNode implements AutoCloseable {
    private final KafkaConnection connection;
    private final EncodeConfig config;
    private final SaeRegistry registry = new SaeRegistry();
    private final AlertPublisher alerts;
    private final ModelFollower follower;
    private EncodeApp app;

    private EncoderNode(
            KafkaConnection connection, EncodeConfig config, AlertPublisher alerts, Following f) {
        this.connection = connection;
        this.config = config;
        this.alerts = alerts;
        this.follower =
                f == null
                        ? null
                        : new ModelFollower(
                                        connection,
                                        config.topics(),
                                        registry,
                                        alerts == null ? null : new FollowerAlerts(alerts),
                                        f.n(),
                                        f.trust(),
                                        f.device(),
                                        f.ortThreads(),
                                        f.shard())
                                .start();
    }

    /**
     * What a following encoder needs: the row width its versions must have, whom it trusts to sign
     * them, where and with how many threads it runs them, and which shard of each it serves.
     */
    public record Following(
            int n, ModelTrust trust, Device device, int ortThreads, DictionaryShard shard) {}

    /**
     * An encoder that serves each version the models topic brings, and reports the versions it
     * refuses on the alerts topic.
     */
    public static EncoderNode following(
            KafkaConnection connection, EncodeConfig config, Following following) {
        return new EncoderNode(
                connection,
                config,
                new AlertPublisher(connection, config.topics().alerts()),
                following);
    }

    /** An encoder that serves one SAE that never changes. */
    public static EncoderNode serving(
            KafkaConnection connection, EncodeConfig config, ServingSae fixed) {
        EncoderNode node =
                new EncoderNode(
                        connection,
                        config,
                        new AlertPublisher(connection, config.topics().alerts()),
                        null);
        node.registry.put(fixed);
        return node;
    }

    /** Waits until {@code count} SAEs are served, or the timeout passes. */
    public boolean awaitServing(int count, Duration timeout) throws InterruptedException {
        return follower == null
                ? registry.serving().size() >= count
                : follower.awaitServing(count, timeout);
    }

    /**
     * Waits until the follower serves every SAE the models topic held when it started (at least
     * one), or the timeout passes; a fixed SAE is served at once.
     */
    public boolean awaitEverySae(Duration timeout) throws InterruptedException {
        return follower == null ? !registry.serving().isEmpty() : follower.awaitEverySae(timeout);
    }

    /** Versions refused so far, by SAE id (none for an encoder serving one fixed SAE). */
    public java.util.Map<String, Long> refused() {
        return follower == null ? java.util.Map.of() : follower.refused();
    }

    /** The SAEs served now. */
    public List<ServingSae> serving() {
        return registry.serving();
    }

    /** Starts the encode application. */
    public EncoderNode startEncoding() {
        if (app != null) throw new IllegalStateException("the encoder already encodes");
        RetentionAlerts retention =
                new RetentionAlerts(alerts, "encoder " + config.streamsApplicationId());
        app = new EncodeApp(connection, config, registry, retention::lost);
        app.start();
        return this;
    }

    /**
     * Binds the application's Kafka Streams metrics (consumer lag among them) to Micrometer's
     * global registry, for a process that serves them; benchmarks that start many leave it out.
     */
    public EncoderNode withMetrics() {
        app().bindMetrics();
        return this;
    }

    /** The running application; {@link #startEncoding} first. */
    public EncodeApp app() {
        if (app == null) throw new IllegalStateException("the encoder does not encode yet");
        return app;
    }

    public EncodeStats stats() {
        return app().stats();
    }

    @Override
    public void close() throws InterruptedException {
        if (app != null) app.close();
        if (follower != null) follower.close();
        if (alerts != null) alerts.close();
    }
}
