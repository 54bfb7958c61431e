package dev.aenstream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.Topics;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.importers.ImportedSae;
import dev.aenstream.sae.importers.SaeExporters;
import dev.aenstream.sae.importers.SaeLensImporter;
import dev.aenstream.sae.onnx.Activation;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.EncoderTensors;
import dev.aenstream.sae.onnx.WeightPrecision;
import dev.aenstream.testkit.KafkaTestCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Versions taken back off the models topic: the newest or a given one, with the parameters that
 * were published (float32 exactly; float16 as float16 stores them), and out to SAELens' layout;
 * records on the topic that are no version or chunk are skipped.
 */
class ModelPullIT {
    @TempDir Path dir;

    @Test
    void aPublishedVersionComesBackWithItsParameters() throws Exception {
        Topics topics = new Topics("pull.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            // Not compacted, so that the older version is still there to take.
            admin.createTopics(List.of(new NewTopic(topics.models(), 1, (short) 1))).all().get();
            KafkaConnection connection = KafkaConnection.of(cluster.bootstrapServers());
            SaeParameters v1 = SaeParameters.initialise(16, 40, 1);
            SaeParameters v2 = SaeParameters.initialise(16, 40, 2);
            SaeParameters other = SaeParameters.initialise(8, 12, 3);
            try (ModelPublisher publisher = new ModelPublisher(connection, topics.models())) {
                publisher.publish(version("pulled", 1, v1), packaged(v1, WeightPrecision.FLOAT32));
                publisher.publish(
                        version("other", 1, other), packaged(other, WeightPrecision.FLOAT32));
                publisher.publish(version("pulled", 2, v2), packaged(v2, WeightPrecision.FLOAT16));
            }
            // The topic is untrusted: a chunk and a version that are no such records, each with
            // its type header and a key of the SAE pulled, are skipped.
            try (KafkaProducer<byte[], byte[]> raw =
                    new KafkaProducer<>(
                            Map.of("bootstrap.servers", cluster.bootstrapServers()),
                            new ByteArraySerializer(),
                            new ByteArraySerializer())) {
                for (String[] junk :
                        new String[][] {
                            {ModelRecords.CHUNK, ModelRecords.chunkKey("pulled", 3, 0)},
                            {ModelRecords.MODEL, ModelRecords.modelKey("pulled")}
                        }) {
                    ProducerRecord<byte[], byte[]> r =
                            new ProducerRecord<>(
                                    topics.models(),
                                    junk[1].getBytes(StandardCharsets.UTF_8),
                                    new byte[] {1, 2, 3});
                    r.headers().add(ModelRecords.TYPE_HEADER, ModelRecords.typeBytes(junk[0]));
                    raw.send(r).get();
                }
            }
            try (ModelAssembler assembler = new ModelAssembler()) {
                ModelAssembler.Assembled newest =
                        ModelPull.pull(
                                connection,
                                topics.models(),
                                "pulled",
                                ModelPull.NEWEST,
                                assembler,
                                ModelTrust.anyVersion());
                assertThat(newest.model().getVersion()).isEqualTo(2);
                EncoderTensors.Read read = read(newest);
                assertThat(read.precision()).isEqualTo(WeightPrecision.FLOAT16);
                SaeParameters back = EncoderTensors.parameters(read);
                for (int i = 0; i < v2.wEnc().length; i++)
                    assertThat(back.wEnc()[i])
                            .isEqualTo(WeightPrecision.FLOAT16.round(v2.wEnc()[i]));
                newest.delete();

                ModelAssembler.Assembled first =
                        ModelPull.pull(
                                connection,
                                topics.models(),
                                "pulled",
                                1,
                                assembler,
                                ModelTrust.anyVersion());
                ImportedSae sae =
                        new ImportedSae(
                                EncoderTensors.parameters(read(first)),
                                new EncoderSpec(8, false),
                                "v1",
                                null,
                                null,
                                null);
                first.delete();
                assertThat(sae.params().wEnc()).isEqualTo(v1.wEnc());
                assertThat(sae.params().bEnc()).isEqualTo(v1.bEnc());
                assertThat(sae.params().wDec()).isEqualTo(v1.wDec());
                assertThat(sae.params().bDec()).isEqualTo(v1.bDec());
                // And out to SAELens, read back the same.
                SaeExporters.saeLens(sae, dir.resolve("v1"), "m", "h");
                assertThat(SaeLensImporter.read(dir.resolve("v1"), 8).params().wDec())
                        .isEqualTo(v1.wDec());

                assertThatThrownBy(
                                () ->
                                        ModelPull.pull(
                                                connection,
                                                topics.models(),
                                                "pulled",
                                                9,
                                                assembler,
                                                ModelTrust.anyVersion()))
                        .hasMessageContaining("holds versions [1, 2]");
                assertThatThrownBy(
                                () ->
                                        ModelPull.pull(
                                                connection,
                                                topics.models(),
                                                "missing",
                                                ModelPull.NEWEST,
                                                assembler,
                                                ModelTrust.anyVersion()))
                        .hasMessageContaining("no version of SAE missing");
                // Taken as an encoder would take it: an unsigned version is refused unless told.
                assertThatThrownBy(
                                () ->
                                        ModelPull.pull(
                                                connection,
                                                topics.models(),
                                                "pulled",
                                                ModelPull.NEWEST,
                                                assembler,
                                                ModelTrust.signedBy(
                                                        List.of(
                                                                ModelSigning.generate()
                                                                        .getPublic()))))
                        .isInstanceOf(ModelAssembler.RefusedModel.class)
                        .hasMessageContaining("unsigned");
            }
        }
    }

    private static EncoderTensors.Read read(ModelAssembler.Assembled a) throws Exception {
        return EncoderTensors.read(
                OnnxMl.ModelProto.parseFrom(a.graph()), a.file(), a.weightsStart());
    }

    private static ModelPublisher.Version version(String saeId, long version, SaeParameters p) {
        return new ModelPublisher.Version(
                saeId, version, "aen", p.n(), p.d(), 8, Normalisation.NONE, Map.of());
    }

    private static dev.aenstream.sae.onnx.OnnxPackage packaged(
            SaeParameters p, WeightPrecision precision) {
        return EncoderGraph.packaged(
                EncoderGraph.Weights.of(p).withDecoder(SaeDecoder.of(p)),
                new EncoderSpec(8, false, Activation.RELU, precision),
                "sae_encoder");
    }
}
