package dev.aenstream.chaos;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.GroupState;

/** What the soak asks of the cluster it runs on, through an admin client of its own. */
final class ClusterProbe {
    private ClusterProbe() {}

    /** An admin client of {@code kafka} that gives up on a request quickly (a probe retries). */
    static Admin admin(KafkaConnection kafka) {
        Map<String, Object> props = new HashMap<>();
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        return Admin.create(kafka.client(props));
    }

    static Set<Integer> liveBrokers(Admin admin) throws Exception {
        Set<Integer> ids = new HashSet<>();
        admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).forEach(n -> ids.add(n.id()));
        return ids;
    }

    static int controller(Admin admin) throws Exception {
        return admin.describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS).leaderId();
    }

    /** Partitions of the soak's topics with fewer in-sync replicas than replicas. */
    static long underReplicated(Admin admin, Topics topics) throws Exception {
        return admin
                .describeTopics(topics.all())
                .allTopicNames()
                .get(10, TimeUnit.SECONDS)
                .values()
                .stream()
                .flatMap(d -> d.partitions().stream())
                .filter(p -> p.isr().size() < p.replicas().size())
                .count();
    }

    static int members(Admin admin, String group) throws Exception {
        var d =
                admin.describeConsumerGroups(List.of(group))
                        .all()
                        .get(10, TimeUnit.SECONDS)
                        .get(group);
        return d.groupState() == GroupState.STABLE ? d.members().size() : -1;
    }

    static long endOffset(Admin admin, String topic) throws Exception {
        var partitions =
                admin.describeTopics(List.of(topic))
                        .allTopicNames()
                        .get(10, TimeUnit.SECONDS)
                        .get(topic)
                        .partitions();
        Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec>
                latest = new HashMap<>();
        for (var p : partitions)
            latest.put(
                    new org.apache.kafka.common.TopicPartition(topic, p.partition()),
                    org.apache.kafka.clients.admin.OffsetSpec.latest());
        long sum = 0;
        for (var r : admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS).values())
            sum += r.offset();
        return sum;
    }

    /** Polls {@code condition} (its exceptions count as false) until true or {@code limit}. */
    static boolean awaitQuietly(Callable<Boolean> condition, Duration limit)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (condition.call()) return true;
            } catch (Exception e) {
                // not yet
            }
            Thread.sleep(500);
        }
        return false;
    }
}
