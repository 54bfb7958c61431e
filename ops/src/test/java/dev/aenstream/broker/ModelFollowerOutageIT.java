package dev.aenstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.models.ModelFollower;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.models.ModelTrust;
import dev.aenstream.monitor.AlertPublisher;
import dev.aenstream.monitor.FollowerAlerts;
import dev.aenstream.online.OnlineTrainerConfig;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.testkit.Wait;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model follower meets a failure it cannot read past (the encoder's principal loses READ on the
 * models topic): it says so in an alert and a metric, keeps serving the version it has, restarts
 * with back-off, and serves the version published meanwhile once it can read again.
 */
class ModelFollowerOutageIT {
    private static final int N = 8, D = 16, K_MAX = 4;

    @TempDir Path dir;

    @Test
    void theFollowerRestartsAfterAnyFailureAndCatchesUp() throws Exception {
        Topics topics = new Topics("outage.");
        try (EmbeddedBroker broker = EmbeddedBroker.start(0, dir.resolve("kafka"), true);
                Admin admin = Admin.create(broker.adminConnection().client())) {
            TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker());
            broker.grant(
                    topics,
                    EncodeConfig.APPLICATION_ID.defaultValue(),
                    OnlineTrainerConfig.GROUP_ID.defaultValue());
            KafkaConnection encoder = broker.connection("encoder");
            SaeRegistry registry = new SaeRegistry();
            AclBinding read =
                    new AclBinding(
                            new ResourcePattern(
                                    ResourceType.TOPIC, topics.models(), PatternType.LITERAL),
                            new AccessControlEntry(
                                    "User:encoder",
                                    "*",
                                    AclOperation.READ,
                                    AclPermissionType.ALLOW));
            try (ModelPublisher trainer =
                            new ModelPublisher(broker.connection("trainer"), topics.models());
                    AlertPublisher alerts = new AlertPublisher(encoder, topics.alerts());
                    ModelFollower follower =
                            new ModelFollower(
                                            encoder,
                                            topics,
                                            registry,
                                            new FollowerAlerts(alerts),
                                            N,
                                            ModelTrust.anyVersion(),
                                            Device.CPU,
                                            1)
                                    .start()) {
                trainer.publish(version(1), graph(1));
                assertThat(follower.awaitServing(1, Duration.ofSeconds(60))).isTrue();

                admin.deleteAcls(List.of(read.toFilter())).all().get();
                assertThat(Wait.until(Duration.ofSeconds(60), follower::down))
                        .as("the follower notices it cannot read")
                        .isTrue();
                trainer.publish(version(2), graph(2));
                // Several back-off rounds while it still cannot read.
                Thread.sleep(4_000);
                assertThat(follower.down()).isTrue();
                assertThat(follower.restarts()).isGreaterThan(1);
                assertThat(servedVersion(registry))
                        .as("the current version keeps serving")
                        .isEqualTo(1);

                admin.createAcls(List.of(read)).all().get();
                assertThat(
                                Wait.until(
                                        Duration.ofSeconds(90),
                                        () -> servedVersion(registry) == 2 && !follower.down()))
                        .as("back, it serves what was published while it was down")
                        .isTrue();
                assertThat(follower.restarts()).isPositive();
            }
            assertThat(alertTypes(broker.adminConnection(), topics))
                    .as("one alert per outage, not one per restart")
                    .containsOnlyOnce(AlertType.MODEL_FOLLOWER_DOWN);
        }
    }

    private static long servedVersion(SaeRegistry registry) {
        return registry.serving().isEmpty() ? 0 : registry.serving().get(0).version();
    }

    private static List<AlertType> alertTypes(KafkaConnection admin, Topics topics) {
        AvroSerde<Alert> serde = new AvroSerde<>(Alert.class);
        List<AlertType> out = new ArrayList<>();
        try (var c =
                new KafkaConsumer<>(
                        admin.client(), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition p = new TopicPartition(topics.alerts(), 0);
            c.assign(List.of(p));
            c.seekToBeginning(List.of(p));
            long end = c.endOffsets(List.of(p)).get(p);
            long deadline = System.currentTimeMillis() + 30_000;
            while (c.position(p) < end && System.currentTimeMillis() < deadline)
                c.poll(Duration.ofMillis(500))
                        .forEach(r -> out.add(serde.fromBytes(r.value()).getAlertType()));
        }
        return out;
    }

    private static ModelPublisher.Version version(long v) {
        return new ModelPublisher.Version(
                "outage", v, "aen", N, D, K_MAX, Normalisation.NONE, Map.of());
    }

    private static byte[] graph(long seed) {
        return EncoderGraph.build(
                        SaeParameters.initialise(N, D, seed),
                        new EncoderSpec(K_MAX, false),
                        "outage")
                .toByteArray();
    }
}
