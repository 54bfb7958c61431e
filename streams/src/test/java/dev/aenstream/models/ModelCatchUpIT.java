package dev.aenstream.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.Wait;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;

/**
 * A follower started on a models topic that already holds versions reads it to its end before it
 * serves anything: it loads the newest version of each SAE once, never the old ones on its way (on
 * main a restarted encoder served v1, then v2, then v3), and says when it serves every SAE the
 * topic holds, which is what an encoder waits for before it encodes. Versions published after that
 * are served as they come.
 */
class ModelCatchUpIT {
    private static final int N = 8;
    private static final int D = 16;

    @Test
    void aRestartedFollowerServesOnlyTheNewestVersionOfEachSae() throws Exception {
        Topics topics = new Topics("cu.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            admin.createTopics(
                            List.of(
                                    new NewTopic(topics.models(), 1, (short) 1)
                                            .configs(Map.of("cleanup.policy", "compact"))))
                    .all()
                    .get();
            KafkaConnection connection = KafkaConnection.of(cluster.bootstrapServers());
            try (ModelPublisher publisher = new ModelPublisher(connection, topics.models())) {
                for (long v = 1; v <= 3; v++) publish(publisher, "a", v);
                publish(publisher, "b", 1);

                SaeRegistry registry = new SaeRegistry();
                try (ModelFollower follower =
                        new ModelFollower(
                                        connection,
                                        topics,
                                        registry,
                                        null,
                                        N,
                                        ModelTrust.anyVersion(),
                                        Device.CPU,
                                        1)
                                .start()) {
                    assertThat(follower.awaitEverySae(Duration.ofSeconds(60))).isTrue();
                    assertThat(registry.serving())
                            .extracting(s -> s.saeId() + " v" + s.version())
                            .containsExactly("a v3", "b v1");
                    assertThat(follower.versionsLoaded())
                            .as("versions loaded on the way to the newest")
                            .isEqualTo(2);

                    publish(publisher, "a", 4);
                    assertThat(
                                    Wait.until(
                                            Duration.ofSeconds(30),
                                            () ->
                                                    registry.serving().stream()
                                                            .anyMatch(
                                                                    s ->
                                                                            s.saeId().equals("a")
                                                                                    && s.version()
                                                                                            == 4)))
                            .isTrue();
                    assertThat(follower.versionsLoaded()).isEqualTo(3);
                    assertThat(registry.serving()).extracting(ServingSae::version).contains(1L);
                }
            }
        }
    }

    private static void publish(ModelPublisher publisher, String saeId, long version)
            throws Exception {
        byte[] graph =
                EncoderGraph.build(
                                SaeParameters.initialise(N, D, (int) version),
                                new EncoderSpec(4, false),
                                saeId)
                        .toByteArray();
        publisher.publish(
                new ModelPublisher.Version(
                        saeId, version, "aen", N, D, 4, Normalisation.NONE, Map.of()),
                graph);
    }
}
