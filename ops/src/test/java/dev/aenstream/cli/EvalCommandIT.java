package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.Topics;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.importers.SaeLensImporter;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code aen eval --sae-id} takes the version off the models topic of a real broker, assembled and
 * checked as an encoder takes it, and scores it as PyTorch does (the fixture SAE of
 * splice_reference.py, published as a version of ours).
 */
class EvalCommandIT {
    private static final Path FIXTURES = Path.of("../producers/src/test/resources/fixtures");

    @TempDir Path dir;

    /**
     * Publishes the GPT-2 fixture SAE of splice_reference.py as version {@code version} of {@code
     * saeId}, unsigned, bound to no model.
     */
    static void publishFixtureSae(String bootstrap, Topics topics, String saeId, long version)
            throws Exception {
        SaeParameters p =
                SaeLensImporter.read(FIXTURES.resolve("splice/gpt2-sae"), Integer.MAX_VALUE)
                        .params();
        try (ModelPublisher publisher =
                new ModelPublisher(KafkaConnection.of(bootstrap), topics.models())) {
            publisher.publish(
                    new ModelPublisher.Version(
                            saeId,
                            version,
                            "l1",
                            p.n(),
                            p.d(),
                            p.d(),
                            Normalisation.NONE,
                            Map.of()),
                    EncoderGraph.packaged(
                            EncoderGraph.Weights.of(p).withDecoder(SaeDecoder.of(p)),
                            new EncoderSpec(p.d(), false),
                            "sae_encoder"));
        }
    }

    @Test
    void aVersionOnTheModelsTopicIsScoredAsPyTorchScoresIt() throws Exception {
        Topics topics = new Topics("eval.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(1, (short) 1));
            publishFixtureSae(cluster.bootstrapServers(), topics, "tiny", 3);
            Path out = dir.resolve("eval.json");
            List<String> args = new ArrayList<>(List.of("eval"));
            args.addAll(EvalCommandTest.tinyModel("gpt2"));
            args.addAll(
                    List.of(
                            "--sae-id",
                            "tiny",
                            "--bootstrap-servers",
                            cluster.bootstrapServers(),
                            "--topic-prefix",
                            "eval.",
                            "--allow-unsigned-models",
                            "--summary-json",
                            out.toString()));
            assertThat(Aen.commandLine(new String[0]).execute(args.toArray(String[]::new)))
                    .isZero();
            ObjectMapper json = new ObjectMapper();
            JsonNode summary = json.readTree(out.toFile());
            assertThat(summary.get("sae").asText()).contains("tiny v3");
            JsonNode want =
                    json.readTree(FIXTURES.resolve("splice/reference.json").toFile())
                            .get("gpt2")
                            .get("figures");
            want.fields()
                    .forEachRemaining(
                            e ->
                                    assertThat(summary.get("figures").get(e.getKey()).asDouble())
                                            .as(e.getKey())
                                            .isCloseTo(e.getValue().asDouble(), within(1e-4)));
        }
    }
}
