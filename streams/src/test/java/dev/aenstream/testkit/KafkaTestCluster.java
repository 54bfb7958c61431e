package dev.aenstream.testkit;

import java.util.Map;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/** Real in-process KRaft brokers for tests. */
public final class KafkaTestCluster {
    private KafkaTestCluster() {}

    public static KafkaClusterTestKit start(int brokers) throws Exception {
        String rf = Integer.toString(Math.min(brokers, 3));
        String minIsr = Integer.toString(Math.max(1, Math.min(brokers, 3) - 1));
        KafkaClusterTestKit cluster =
                new KafkaClusterTestKit.Builder(
                                new TestKitNodes.Builder()
                                        .setCombined(true)
                                        .setNumBrokerNodes(brokers)
                                        .setNumControllerNodes(1)
                                        .build())
                        .setConfigProp("offsets.topic.replication.factor", rf)
                        .setConfigProp("transaction.state.log.replication.factor", rf)
                        .setConfigProp("transaction.state.log.min.isr", minIsr)
                        .setConfigProp("group.initial.rebalance.delay.ms", "0")
                        .setConfigProp("offsets.topic.num.partitions", "4")
                        .setConfigProp("transaction.state.log.num.partitions", "4")
                        .build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        return cluster;
    }

    public static Map<String, Object> bootstrap(KafkaClusterTestKit cluster) {
        return Map.of("bootstrap.servers", cluster.bootstrapServers());
    }
}
