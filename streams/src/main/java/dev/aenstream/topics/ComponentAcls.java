package dev.aenstream.topics;

import dev.aenstream.avro.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The ACLs each component needs and nothing more (docs/security.md): the producer writes
 * activations; the encoder reads activations, models and trainer metrics and writes codes, dead
 * letters, statistics, alerts and SAE state, with its Kafka Streams group, internal topics and
 * transactions under its application id; the trainer reads activations in its group and writes
 * models, metrics (with the facts the encoders' monitor alerts on) and dead letters; the dashboard
 * and other readers only read.
 *
 * @param topics the topic set
 * @param principals the principal of each component ({@code producer}, {@code encoder}, {@code
 *     trainer}, {@code dashboard}), e.g. {@code User:encoder}
 * @param encoderApplicationId the encoders' Kafka Streams application id
 * @param trainerGroup the trainer's consumer group
 */
public record ComponentAcls(
        Topics topics,
        Map<String, String> principals,
        String encoderApplicationId,
        String trainerGroup) {
    private static final long TIMEOUT_S = 60;
    private static final long ACL_POLL_MS = 50;

    /** The components that talk to Kafka, each as its own principal. */
    public static final List<String> COMPONENTS =
            List.of("producer", "encoder", "trainer", "dashboard");

    public ComponentAcls {
        for (String c : COMPONENTS) {
            if (!principals.containsKey(c))
                throw new IllegalArgumentException("no principal given for the " + c);
        }
        principals = Map.copyOf(principals);
    }

    /**
     * Each component as the user of its own name ({@code User:encoder}, ...), as the secured
     * embedded broker makes them, with {@code overrides} taking their place where given.
     */
    public static Map<String, String> principals(Map<String, String> overrides) {
        for (String c : overrides.keySet()) {
            if (!COMPONENTS.contains(c))
                throw new IllegalArgumentException(
                        "unknown component '" + c + "'; they are " + COMPONENTS);
        }
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String c : COMPONENTS) out.put(c, overrides.getOrDefault(c, "User:" + c));
        return out;
    }

    /** The group-id prefix of the Python package's readers. */
    public static final String READER_GROUP_PREFIX = "aen-reader-";

    /** Every binding, allowing from any host. */
    public List<AclBinding> bindings() {
        List<AclBinding> out = new ArrayList<>();
        String producer = principals.get("producer");
        topic(out, producer, topics.activations(), AclOperation.WRITE);
        // A producer that splices SAEs into its model follows their versions and reports the loss.
        topic(out, producer, topics.models(), AclOperation.READ);
        topic(out, producer, topics.spliceFigures(), AclOperation.WRITE);

        String encoder = principals.get("encoder");
        for (String t :
                List.of(
                        topics.activations(),
                        topics.models(),
                        topics.trainerMetrics(),
                        topics.spliceFigures(),
                        topics.featureStats(),
                        topics.watchRules())) topic(out, encoder, t, AclOperation.READ);
        for (String t :
                List.of(
                        topics.codes(),
                        topics.dlq(),
                        topics.featureStats(),
                        topics.alerts(),
                        topics.saeState(),
                        topics.featureContexts(),
                        // Encoders move each rule to the version they serve, through lineage.
                        topics.watchRules())) topic(out, encoder, t, AclOperation.WRITE);
        // Kafka Streams' own resources all start with the application id.
        add(
                out,
                encoder,
                ResourceType.TOPIC,
                encoderApplicationId,
                PatternType.PREFIXED,
                AclOperation.ALL);
        add(
                out,
                encoder,
                ResourceType.GROUP,
                encoderApplicationId,
                PatternType.PREFIXED,
                AclOperation.READ);
        add(
                out,
                encoder,
                ResourceType.TRANSACTIONAL_ID,
                encoderApplicationId,
                PatternType.PREFIXED,
                AclOperation.WRITE);
        add(
                out,
                encoder,
                ResourceType.TRANSACTIONAL_ID,
                encoderApplicationId,
                PatternType.PREFIXED,
                AclOperation.DESCRIBE);

        String trainer = principals.get("trainer");
        // It reads the models topic once at start, to number its versions past those there.
        for (String t : List.of(topics.activations(), topics.models()))
            topic(out, trainer, t, AclOperation.READ);
        // Rows holding NaN or Inf go to the dead letters, the rest of their batch trains.
        for (String t : List.of(topics.models(), topics.trainerMetrics(), topics.dlq()))
            topic(out, trainer, t, AclOperation.WRITE);
        add(
                out,
                trainer,
                ResourceType.GROUP,
                trainerGroup,
                PatternType.PREFIXED,
                AclOperation.READ);
        // Versions are published in transactions named after the group: a second trainer fences.
        for (AclOperation op : List.of(AclOperation.WRITE, AclOperation.DESCRIBE))
            add(
                    out,
                    trainer,
                    ResourceType.TRANSACTIONAL_ID,
                    trainerGroup,
                    PatternType.PREFIXED,
                    op);

        String dashboard = principals.get("dashboard");
        for (String t :
                List.of(
                        topics.codes(),
                        topics.dlq(),
                        topics.alerts(),
                        topics.featureStats(),
                        topics.models(),
                        topics.saeState(),
                        topics.featureContexts(),
                        topics.trainerMetrics(),
                        topics.spliceFigures(),
                        topics.watchRules())) topic(out, dashboard, t, AclOperation.READ);
        // The Python readers consume in throwaway groups of this prefix (aen_stream.readers).
        add(
                out,
                dashboard,
                ResourceType.GROUP,
                READER_GROUP_PREFIX,
                PatternType.PREFIXED,
                AclOperation.READ);
        return out;
    }

    /**
     * Creates every binding (creating one that exists changes nothing) and returns them once the
     * broker answers with all of them: a broker applies new ACLs from its metadata log a moment
     * after the controller commits them, and a client that asks before is refused for good.
     */
    public List<AclBinding> create(Admin admin) throws Exception {
        List<AclBinding> all = bindings();
        admin.createAcls(all).all().get(TIMEOUT_S, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (!admin.describeAcls(AclBindingFilter.ANY)
                .values()
                .get(TIMEOUT_S, TimeUnit.SECONDS)
                .containsAll(all)) {
            if (System.nanoTime() > deadline)
                throw new java.util.concurrent.TimeoutException(
                        "the broker did not report the ACLs it was given within "
                                + TIMEOUT_S
                                + " s");
            Thread.sleep(ACL_POLL_MS);
        }
        return all;
    }

    /** READ or WRITE on a topic, with the DESCRIBE that finding its partitions needs. */
    private static void topic(List<AclBinding> out, String who, String topic, AclOperation op) {
        add(out, who, ResourceType.TOPIC, topic, PatternType.LITERAL, op);
        add(out, who, ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.DESCRIBE);
    }

    private static void add(
            List<AclBinding> out,
            String who,
            ResourceType type,
            String name,
            PatternType pattern,
            AclOperation op) {
        AclBinding b =
                new AclBinding(
                        new ResourcePattern(type, name, pattern),
                        new AccessControlEntry(who, "*", op, AclPermissionType.ALLOW));
        if (!out.contains(b)) out.add(b);
    }
}
