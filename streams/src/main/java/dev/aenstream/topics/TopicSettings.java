package dev.aenstream.topics;

/**
 * Partitions and replication of the topic set. Activations and codes carry the load and scale by
 * partitions; the models topic is compacted so a new encoder finds the latest versions.
 */
public record TopicSettings(int partitions, short replicationFactor) {
    public static final int DEFAULT_PARTITIONS = 4;

    public TopicSettings {
        if (partitions <= 0)
            throw new IllegalArgumentException("partitions must be positive, got " + partitions);
        if (replicationFactor <= 0)
            throw new IllegalArgumentException(
                    "replication factor must be positive, got " + replicationFactor);
    }

    public static TopicSettings singleBroker() {
        return new TopicSettings(DEFAULT_PARTITIONS, (short) 1);
    }
}
