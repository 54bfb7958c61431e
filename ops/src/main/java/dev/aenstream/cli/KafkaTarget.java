package dev.aenstream.cli;

import dev.aenstream.avro.Topics;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.topics.TopicProvisioner;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka a command talks to: the given cluster, or an embedded broker it starts; the topic set
 * exists.
 */
final class KafkaTarget implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaTarget.class);
    private final String bootstrapServers;
    private final Topics topics;
    private final EmbeddedBroker embedded;

    private KafkaTarget(String bootstrapServers, Topics topics, EmbeddedBroker embedded) {
        this.bootstrapServers = bootstrapServers;
        this.topics = topics;
        this.embedded = embedded;
    }

    static KafkaTarget open(KafkaOptions options) throws Exception {
        EmbeddedBroker embedded = null;
        String bootstrap = options.bootstrapServers;
        if (bootstrap == null || bootstrap.isBlank()) {
            LOG.info("no --bootstrap-servers given: starting an embedded single-node Kafka broker");
            embedded = EmbeddedBroker.start(0, null);
            bootstrap = embedded.bootstrapServers();
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            TopicProvisioner.ensure(admin, options.topics(), options.topicSettings());
        } catch (Exception e) {
            if (embedded != null) embedded.close();
            throw new IllegalStateException(
                    "cannot reach Kafka at "
                            + bootstrap
                            + " to check the topic set: "
                            + e.getMessage(),
                    e);
        }
        return new KafkaTarget(bootstrap, options.topics(), embedded);
    }

    String bootstrapServers() {
        return bootstrapServers;
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
