package dev.aenstream.cli;

import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.topics.TopicProvisioner;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Creates the topic set where missing and describes it. */
@Command(
        name = "topics",
        mixinStandardHelpOptions = true,
        description = {
            "Create the topic set where missing (activations, codes, feature-stats, models,"
                + " trainer-metrics, alerts, dlq) and describe each topic: partitions, replication,"
                + " cleanup policy, message size limit."
        })
final class TopicsCommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka;

    @Override
    public Integer call() throws Exception {
        try (KafkaTarget target = KafkaTarget.open(kafka);
                Admin admin =
                        Admin.create(Map.of("bootstrap.servers", target.bootstrapServers()))) {
            var names = target.topics().all();
            Map<String, TopicDescription> descriptions = TopicProvisioner.describe(admin, names);
            var resources =
                    names.stream()
                            .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n))
                            .toList();
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
            System.out.printf(
                    "%-24s %10s %12s %10s %16s%n",
                    "topic", "partitions", "replication", "cleanup", "max.message.bytes");
            for (String name : names) {
                TopicDescription d = descriptions.get(name);
                Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name));
                System.out.printf(
                        "%-24s %10d %12d %10s %16s%n",
                        name,
                        d.partitions().size(),
                        d.partitions().get(0).replicas().size(),
                        c.get(TopicConfig.CLEANUP_POLICY_CONFIG).value(),
                        c.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value());
            }
            System.out.println(
                    "bootstrap.servers="
                            + target.bootstrapServers()
                            + (target.embedded() ? " (embedded, stops with this command)" : ""));
        }
        return 0;
    }
}
