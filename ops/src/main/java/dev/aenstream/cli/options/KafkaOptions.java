package dev.aenstream.cli.options;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where Kafka is and how the topic set is named and laid out. */
public final class KafkaOptions {
    @Option(
            names = {"--bootstrap-servers", "--bootstrap-server"},
            paramLabel = "HOST:PORT[,...]",
            description =
                    "Kafka cluster to use. When omitted, an embedded single-node broker is started"
                            + " for this command and removed when it ends.")
    public String bootstrapServers;

    @Option(
            names = "--command-config",
            paramLabel = "FILE",
            description =
                    "Java properties file of Kafka client settings (security.protocol, sasl.*,"
                            + " ssl.*, timeouts, ...) applied to every client this command"
                            + " creates, as Kafka's own tools take it. Secret values never reach"
                            + " logs or summaries.")
    Path commandConfig;

    @Option(
            names = "--command-property",
            paramLabel = "KEY=VALUE",
            description =
                    "One Kafka client setting, on top of --command-config; repeatable. Prefer"
                            + " the file for secrets: a command line is visible to other users of"
                            + " the machine.")
    List<String> commandProperties = new ArrayList<>();

    @Option(
            names = "--topic-prefix",
            paramLabel = "PREFIX",
            description = "Prefix of every topic name (default: ${DEFAULT-VALUE}).")
    public String topicPrefix = Topics.DEFAULT_PREFIX;

    @Option(
            names = "--partitions",
            paramLabel = "P",
            description =
                    "Partitions of the activations, codes and feature-stats topics when they are"
                            + " created (default: ${DEFAULT-VALUE}); the unit of parallelism of"
                            + " encoders.")
    int partitions = TopicSettings.DEFAULT_PARTITIONS;

    @Option(
            names = "--replication-factor",
            paramLabel = "RF",
            description =
                    "Replication factor of created topics and of the encoders' internal topics"
                            + " (default: ${DEFAULT-VALUE}; use 3 on a real cluster).")
    public short replicationFactor = TopicSettings.DEFAULT_REPLICATION_FACTOR;

    /** The client properties of --command-config and then --command-property. */
    public Map<String, String> clientProperties() {
        Map<String, String> out = new LinkedHashMap<>();
        if (commandConfig != null) out.putAll(KafkaConnection.readProperties(commandConfig));
        for (String kv : commandProperties) {
            var e = KafkaConnection.parseProperty(kv);
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    /**
     * The cluster to use: --bootstrap-servers, else bootstrap.servers of {@code clientProperties}
     * (as {@link #clientProperties} read them), else null (an embedded broker).
     */
    public String bootstrap(Map<String, String> clientProperties) {
        if (bootstrapServers != null && !bootstrapServers.isBlank()) return bootstrapServers;
        String fromProperties = clientProperties.get("bootstrap.servers");
        return fromProperties == null || fromProperties.isBlank() ? null : fromProperties;
    }

    public Topics topics() {
        return new Topics(topicPrefix);
    }

    public TopicSettings topicSettings() {
        return new TopicSettings(partitions, replicationFactor);
    }
}
