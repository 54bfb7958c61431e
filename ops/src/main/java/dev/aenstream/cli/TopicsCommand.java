package dev.aenstream.cli;

import dev.aenstream.broker.ClusterCredentials;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.online.OnlineTrainerConfig;
import dev.aenstream.topics.ComponentAcls;
import dev.aenstream.topics.TopicProvisioner;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Creates the topic set where missing and describes it. */
@Command(
        name = "topics",
        mixinStandardHelpOptions = true,
        description = {
            "Create the topic set where missing (activations, codes, feature-stats, models,"
                + " trainer-metrics, alerts, dlq) and describe each topic: partitions, replication,"
                + " cleanup policy, message size limit.",
            "With --scram-passwords, also write the components' SCRAM passwords into the"
                    + " cluster (a deployment's set-up job, ops/deploy/README.md).",
            "With --acls, also grant each component's principal the ACLs it needs and no more"
                    + " (docs/security.md); run it as a principal allowed to create ACLs."
        })
final class TopicsCommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka;

    @Option(
            names = "--acls",
            description =
                    "Create the ACLs of the producer, encoder, trainer and dashboard principals.")
    boolean acls;

    @Option(
            names = "--principal",
            paramLabel = "COMPONENT=PRINCIPAL",
            description =
                    "The principal of a component (producer, encoder, trainer, dashboard);"
                            + " repeatable (default: User:COMPONENT for each).")
    Map<String, String> principals = new LinkedHashMap<>();

    @Option(
            names = "--scram-passwords",
            paramLabel = "DIR",
            description =
                    "Also write each component's SCRAM-SHA-512 password into the cluster, read"
                            + " from DIR/COMPONENT.password (the admin folder of aen keys"
                            + " cluster); run it as a super user, such as that folder's mutual-TLS"
                            + " client.")
    Path scramPasswords;

    @Option(
            names = "--application-id",
            paramLabel = "ID",
            description =
                    "Application id (a prefix) of the encoders' Kafka Streams resources"
                            + " (default: ${DEFAULT-VALUE}).")
    String applicationId = EncodeConfig.APPLICATION_ID.defaultValue();

    @Option(
            names = "--group-id",
            paramLabel = "ID",
            description = "Consumer group (a prefix) of the trainer (default: ${DEFAULT-VALUE}).")
    String groupId = OnlineTrainerConfig.GROUP_ID.defaultValue();

    @Override
    public Integer call() throws Exception {
        try (KafkaTarget target = KafkaTarget.open(kafka);
                Admin admin = Admin.create(target.connection().client())) {
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
            if (scramPasswords != null) {
                var users =
                        ClusterCredentials.installScram(
                                admin, scramPasswords, ComponentAcls.principals(principals));
                System.out.printf(
                        "SCRAM-SHA-512 credentials written for %s%n", String.join(", ", users));
            }
            if (acls) {
                var bindings =
                        new ComponentAcls(
                                        target.topics(),
                                        ComponentAcls.principals(principals),
                                        applicationId,
                                        groupId)
                                .create(admin);
                System.out.printf("%d ACLs granted:%n", bindings.size());
                for (var b : bindings) {
                    System.out.printf(
                            "  %-16s %-7s %-16s %-9s %s%n",
                            b.entry().principal(),
                            b.entry().operation(),
                            b.pattern().resourceType(),
                            b.pattern().patternType(),
                            b.pattern().name());
                }
            }
            System.out.println(
                    "bootstrap.servers="
                            + target.connection()
                            + (target.embedded() ? " (embedded, stops with this command)" : ""));
        }
        return 0;
    }
}
