package dev.aenstream.topics;

/**
 * Partitions and replication of the topic set. Activations and codes carry the load and scale by
 * partitions; the models topic is compacted so a new encoder finds the latest versions.
 *
 * @param partitions partitions of the activations and codes topics
 * @param replicationFactor replicas of every topic
 */
public record TopicSettings(int partitions, short replicationFactor) {
    public static final int DEFAULT_PARTITIONS = 4;

    /** One replica: what a single broker, the embedded one included, can hold. */
    public static final short DEFAULT_REPLICATION_FACTOR = 1;

    public TopicSettings {
        if (partitions <= 0)
            throw new IllegalArgumentException("partitions must be positive, got " + partitions);
        if (replicationFactor <= 0)
            throw new IllegalArgumentException(
                    "replication factor must be positive, got " + replicationFactor);
    }

    public static TopicSettings singleBroker() {
        return new TopicSettings(DEFAULT_PARTITIONS, DEFAULT_REPLICATION_FACTOR);
    }
}
