package dev.aenstream.topics;

import dev.aenstream.avro.Topics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topic set with its partitions, replication and per-topic configuration; existing
 * topics are kept.
 */
public final class TopicProvisioner {
    private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);
    private static final long TIMEOUT_S = 60;

    /** The timestamp type by which the broker stamps each record it appends. */
    static final String BROKER_TIME = "LogAppendTime";

    private TopicProvisioner() {}

    /** The topics to create, with their configuration. */
    public static List<NewTopic> plan(Topics topics, TopicSettings settings) {
        String maxBytes = Integer.toString(Topics.MAX_MESSAGE_BYTES);
        Map<String, String> bulk = Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, maxBytes);
        Map<String, String> compacted =
                Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.CLEANUP_POLICY_COMPACT,
                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                        maxBytes);
        // Activations are stamped by the broker: statistics windows follow these timestamps, so no
        // producer's clock (one running fast would close everyone's windows) decides them, and
        // every shard of a dictionary puts a row in the same window.
        Map<String, String> stamped =
                Map.of(
                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                        maxBytes,
                        TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG,
                        BROKER_TIME);
        List<NewTopic> plan = new ArrayList<>();
        plan.add(topic(topics.activations(), settings.partitions(), settings, stamped));
        plan.add(topic(topics.codes(), settings.partitions(), settings, bulk));
        plan.add(topic(topics.featureStats(), settings.partitions(), settings, bulk));
        // One partition keeps every version of every SAE in order for the registries that follow
        // it.
        plan.add(topic(topics.models(), 1, settings, compacted));
        plan.add(topic(topics.trainerMetrics(), 1, settings, Map.of()));
        plan.add(topic(topics.spliceFigures(), 1, settings, Map.of()));
        plan.add(topic(topics.alerts(), 1, settings, Map.of()));
        plan.add(topic(topics.dlq(), 1, settings, bulk));
        plan.add(topic(topics.saeState(), 1, settings, compacted));
        plan.add(topic(topics.featureContexts(), settings.partitions(), settings, compacted));
        // Every encoder reads every rule (a global store): one partition is all there is to read.
        plan.add(topic(topics.watchRules(), 1, settings, compacted));
        return plan;
    }

    private static NewTopic topic(
            String name, int partitions, TopicSettings settings, Map<String, String> configs) {
        return new NewTopic(name, partitions, settings.replicationFactor()).configs(configs);
    }

    /** Creates the missing topics of the set and returns the names it created. */
    public static Set<String> ensure(Admin admin, Topics topics, TopicSettings settings)
            throws InterruptedException, ExecutionException, TimeoutException {
        Set<String> existing = admin.listTopics().names().get(TIMEOUT_S, TimeUnit.SECONDS);
        if (existing.contains(topics.activations()))
            producerClocks(admin, topics).ifPresent(LOG::warn);
        List<NewTopic> missing =
                plan(topics, settings).stream().filter(t -> !existing.contains(t.name())).toList();
        if (missing.isEmpty()) return Set.of();
        try {
            admin.createTopics(missing).all().get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) throw e;
        }
        awaitLeaders(admin, missing);
        missing.forEach(
                t ->
                        LOG.info(
                                "created topic {} ({} partitions, replication {}, {})",
                                t.name(),
                                t.numPartitions(),
                                t.replicationFactor(),
                                t.configs()));
        return Set.copyOf(missing.stream().map(NewTopic::name).toList());
    }

    /**
     * Returns once every partition of {@code created} is served by its leader. A producer that
     * writes a moment after creation can meet a broker that is not leader yet (NOT_LEADER), and an
     * idempotent one with batches in flight then retried its first batch out of order until its
     * delivery timeout (TrainCommandIT's stats benchmark on a loaded machine: 120 s, then failed).
     * Listing offsets asks each leader itself, and the admin client retries until it answers.
     */
    private static void awaitLeaders(Admin admin, List<NewTopic> created)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        for (NewTopic t : created)
            for (int p = 0; p < t.numPartitions(); p++)
                partitions.put(new TopicPartition(t.name(), p), OffsetSpec.latest());
        try {
            admin.listOffsets(partitions).all().get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // A principal that may create but not describe them, or a slow cluster: the topics
            // exist, and clients wait for leaders on their own.
            LOG.warn("could not confirm the new topics' leaders: {}", e.toString());
        }
    }

    /**
     * A warning when the activations topic, made before it was created stamped by the broker, takes
     * its producers' timestamps: statistics windows then follow producers' clocks, and one running
     * fast closes the others' windows (their parts are counted late, STATISTICS_LATE).
     */
    public static Optional<String> producerClocks(Admin admin, Topics topics)
            throws InterruptedException, ExecutionException, TimeoutException {
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, topics.activations());
        Config config =
                admin.describeConfigs(List.of(topic))
                        .all()
                        .get(TIMEOUT_S, TimeUnit.SECONDS)
                        .get(topic);
        ConfigEntry type = config.get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG);
        if (type != null && BROKER_TIME.equals(type.value())) return Optional.empty();
        return Optional.of(
                "topic "
                        + topics.activations()
                        + " keeps its producers' timestamps ("
                        + (type == null ? "CreateTime" : type.value())
                        + "): statistics windows follow their clocks, and one running fast closes"
                        + " the others' windows. Let the broker stamp it: kafka-configs.sh"
                        + " --alter --entity-type topics --entity-name "
                        + topics.activations()
                        + " --add-config "
                        + TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG
                        + "="
                        + BROKER_TIME);
    }

    public static Map<String, TopicDescription> describe(Admin admin, Collection<String> names)
            throws InterruptedException, ExecutionException, TimeoutException {
        return admin.describeTopics(names).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS);
    }
}
