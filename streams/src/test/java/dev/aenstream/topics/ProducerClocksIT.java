package dev.aenstream.topics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.Topics;
import dev.aenstream.testkit.KafkaTestCluster;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;

/** An activations topic made before the broker stamped it is named, with the remedy. */
class ProducerClocksIT {

    @Test
    void anActivationsTopicOnProducersClocksIsNamedAndOneTheBrokerStampsIsNot() throws Exception {
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            Topics old = new Topics("old.");
            admin.createTopics(List.of(new NewTopic(old.activations(), 1, (short) 1))).all().get();
            TopicProvisioner.ensure(admin, old, new TopicSettings(1, (short) 1));
            assertThat(TopicProvisioner.producerClocks(admin, old))
                    .hasValueSatisfying(
                            w ->
                                    assertThat(w)
                                            .contains("old.activations")
                                            .contains("CreateTime")
                                            .contains("message.timestamp.type=LogAppendTime"));

            Topics fresh = new Topics("new.");
            TopicProvisioner.ensure(admin, fresh, new TopicSettings(1, (short) 1));
            assertThat(TopicProvisioner.producerClocks(admin, fresh)).isEmpty();
            admin.incrementalAlterConfigs(
                            Map.of(
                                    new org.apache.kafka.common.config.ConfigResource(
                                            org.apache.kafka.common.config.ConfigResource.Type
                                                    .TOPIC,
                                            old.activations()),
                                    List.of(
                                            new org.apache.kafka.clients.admin.AlterConfigOp(
                                                    new org.apache.kafka.clients.admin.ConfigEntry(
                                                            "message.timestamp.type",
                                                            "LogAppendTime"),
                                                    org.apache.kafka.clients.admin.AlterConfigOp
                                                            .OpType.SET))))
                    .all()
                    .get();
            // The broker applies a topic's new configuration a moment later.
            assertThat(
                            dev.aenstream.testkit.Wait.until(
                                    java.time.Duration.ofSeconds(30),
                                    () -> TopicProvisioner.producerClocks(admin, old).isEmpty()))
                    .as("no warning after the remedy")
                    .isTrue();
        }
    }
}
