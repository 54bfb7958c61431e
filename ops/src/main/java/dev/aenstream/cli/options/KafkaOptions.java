package dev.aenstream.cli.options;

import dev.aenstream.avro.Topics;
import dev.aenstream.topics.TopicSettings;
import picocli.CommandLine.Option;

/** Where Kafka is and how the topic set is named and laid out. */
public final class KafkaOptions {
    @Option(
            names = "--bootstrap-servers",
            paramLabel = "HOST:PORT[,...]",
            description =
                    "Kafka cluster to use. When omitted, an embedded single-node broker is started"
                            + " for this command and removed when it ends.")
    public String bootstrapServers;

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

    public Topics topics() {
        return new Topics(topicPrefix);
    }

    public TopicSettings topicSettings() {
        return new TopicSettings(partitions, replicationFactor);
    }
}
