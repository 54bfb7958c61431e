package dev.aenstream.cli;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.BrokerSecurity;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.topics.TopicProvisioner;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.AuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka a command talks to: the given cluster, or an embedded broker it starts; the topic set
 * exists.
 */
final class KafkaTarget implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaTarget.class);
    private final KafkaConnection connection;
    private final Topics topics;
    private final EmbeddedBroker embedded;

    private KafkaTarget(KafkaConnection connection, Topics topics, EmbeddedBroker embedded) {
        this.connection = connection;
        this.topics = topics;
        this.embedded = embedded;
    }

    static KafkaTarget open(KafkaOptions options) throws Exception {
        return open(options, false);
    }

    /**
     * The cluster of {@code options}, or an embedded broker, secured ({@link
     * EmbeddedBroker#start(int, java.nio.file.Path, boolean)}) when {@code secure}: its topics are
     * then created by its super user, who grants each component what {@link ComponentAcls} lists
     * through {@link #grant}.
     */
    /** The embedded broker, or a clear error where its server jars are left out (lean images). */
    private static EmbeddedBroker embeddedBroker(boolean secure) throws Exception {
        try {
            return EmbeddedBroker.start(0, null, secure);
        } catch (NoClassDefFoundError missing) {
            throw new IllegalStateException(
                    "this installation has no embedded Kafka broker (the encoder and trainer images"
                            + " leave its server jars out): give --bootstrap-server HOST:PORT",
                    missing);
        }
    }

    static KafkaTarget open(KafkaOptions options, boolean secure) throws Exception {
        EmbeddedBroker embedded = null;
        Map<String, String> clientProperties = options.clientProperties();
        String bootstrap = options.bootstrap(clientProperties);
        if (secure && bootstrap != null)
            throw new IllegalArgumentException(
                    "--secure starts a secured embedded broker; to use a secured cluster of your"
                            + " own, give its client settings with --command-config");
        KafkaConnection connection;
        if (bootstrap == null) {
            LOG.info(
                    "no --bootstrap-servers given: starting an embedded single-node Kafka broker{}",
                    secure ? " with SASL_SSL and ACLs" : "");
            embedded = embeddedBroker(secure);
            connection = embedded.adminConnection().with(secure ? Map.of() : clientProperties);
        } else {
            connection = new KafkaConnection(bootstrap, clientProperties);
        }
        LOG.info("Kafka clients connect to {}", connection);
        try (Admin client = Admin.create(connection.client())) {
            TopicProvisioner.ensure(client, options.topics(), options.topicSettings());
        } catch (ExecutionException e) {
            if (!(embedded == null && e.getCause() instanceof AuthorizationException denied))
                throw unreachable(connection, embedded, e);
            // A least-privilege principal may not create topics: an administrator made them.
            LOG.warn(
                    "this principal may not check or create the topic set ({}); going on as if"
                            + " an administrator created it (aen topics --acls)",
                    denied.getMessage());
        } catch (Exception e) {
            throw unreachable(connection, embedded, e);
        }
        return new KafkaTarget(connection, options.topics(), embedded);
    }

    private static IllegalStateException unreachable(
            KafkaConnection connection, EmbeddedBroker embedded, Exception e) {
        if (embedded != null) embedded.close();
        return new IllegalStateException(
                "cannot reach Kafka at "
                        + connection
                        + " to check the topic set: "
                        + e.getMessage(),
                e);
    }

    /** The connection every client of this command uses unless it names its component. */
    KafkaConnection connection() {
        return connection;
    }

    /**
     * How {@code component} (one of {@link BrokerSecurity#COMPONENTS}) connects: as its own
     * principal on a secured embedded broker, else as every other client of this command.
     */
    KafkaConnection connection(String component) {
        return secure() ? embedded.connection(component) : connection;
    }

    /** Whether this is a secured embedded broker. */
    boolean secure() {
        return embedded != null && embedded.secure();
    }

    /** The embedded broker's security; null without one. */
    BrokerSecurity security() {
        return embedded == null ? null : embedded.security();
    }

    /**
     * Grants each component of a secured embedded broker its ACLs, for encoders of {@code
     * applicationId} and a trainer in {@code trainerGroup} (both prefixes); returns how many.
     */
    int grant(String applicationId, String trainerGroup) throws Exception {
        return embedded == null ? 0 : embedded.grant(topics, applicationId, trainerGroup);
    }

    Topics topics() {
        return topics;
    }

    boolean embedded() {
        return embedded != null;
    }

    @Override
    public void close() {
        if (embedded != null) embedded.close();
    }
}
