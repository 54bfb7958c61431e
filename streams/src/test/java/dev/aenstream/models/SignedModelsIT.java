package dev.aenstream.models;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.monitor.AlertPublisher;
import dev.aenstream.monitor.FollowerAlerts;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.TopicReader;
import dev.aenstream.testkit.Wait;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;

/**
 * Encoders serve only versions signed by a trusted key: every other kind of version a writer to the
 * models topic could send is refused with its reason while the trusted one keeps serving.
 */
class SignedModelsIT {
    private static final int N = 8;
    private static final int D = 16;
    private static final int K_MAX = 4;
    private static final String SAE = "signed";

    @Test
    void onlyVersionsSignedByATrustedKeyAreServed() throws Exception {
        Topics topics = new Topics("sig.");
        KeyPair trusted = ModelSigning.generate();
        KeyPair stranger = ModelSigning.generate();
        byte[] graphA = graph(1);
        byte[] graphB = graph(2);
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            admin.createTopics(
                            List.of(
                                    new NewTopic(topics.models(), 1, (short) 1),
                                    new NewTopic(topics.alerts(), 1, (short) 1)))
                    .all()
                    .get();
            KafkaConnection kafka = KafkaConnection.of(cluster.bootstrapServers());
            SaeRegistry registry = new SaeRegistry();
            long garbage;
            try (ModelPublisher signed = new ModelPublisher(kafka, topics.models(), trusted);
                    ModelPublisher unsigned = new ModelPublisher(kafka, topics.models());
                    ModelPublisher impostor = new ModelPublisher(kafka, topics.models(), stranger);
                    AlertPublisher alerts = new AlertPublisher(kafka, topics.alerts());
                    ModelFollower follower =
                            new ModelFollower(
                                            kafka,
                                            topics,
                                            registry,
                                            new FollowerAlerts(alerts),
                                            N,
                                            ModelTrust.signedBy(List.of(trusted.getPublic())),
                                            Device.CPU,
                                            1)
                                    .start();
                    KafkaProducer<byte[], byte[]> raw =
                            new KafkaProducer<>(
                                    kafka.client(),
                                    new ByteArraySerializer(),
                                    new ByteArraySerializer())) {
                SaeModel v1 = signed.publish(version(1), graphA);
                assertThat(v1.getSignature()).isNotNull();
                assertThat(follower.awaitServing(1, Duration.ofSeconds(60))).isTrue();

                unsigned.publish(version(2), graphA);
                impostor.publish(version(3), graphA);
                // The graph of B under A's signed metadata (A's checksum, a valid signature).
                SaeModel metaA = metadata(4, graphA);
                metaA.setSizeBytes((long) graphB.length);
                ModelSigning.sign(metaA, trusted.getPrivate(), trusted.getPublic());
                sendRaw(raw, topics.models(), metaA, graphB);
                // B's checksum with the signature made over A's.
                SaeModel metaB = metadata(5, graphB);
                SaeModel signedA = metadata(5, graphA);
                ModelSigning.sign(signedA, trusted.getPrivate(), trusted.getPublic());
                metaB.setSignature(signedA.getSignature());
                metaB.setSigningKeyId(signedA.getSigningKeyId());
                sendRaw(raw, topics.models(), metaB, graphB);
                // Far ahead, properly signed: it would pin the encoders to it for good.
                signed.publish(version(1_000_000), graphA);
                // A signed graph whose weights live in a file on the encoder's disk.
                signed.publish(version(6), external(graphA));
                // Bytes that are no model at all, under a model's header.
                garbage =
                        send(
                                raw,
                                topics.models(),
                                "garbage",
                                new byte[] {1, 2, 3},
                                ModelRecords.MODEL);

                assertThat(
                                Wait.until(
                                        Duration.ofSeconds(60),
                                        () -> alerts(cluster, topics).size() >= 7))
                        .as("a refusal alert for each of the six versions and the garbage")
                        .isTrue();
                assertThat(registry.serving())
                        .singleElement()
                        .satisfies(s -> assertThat(s.version()).isEqualTo(1));
            }
            List<Alert> refusals = alerts(cluster, topics);
            assertThat(refusals)
                    .extracting(Alert::getAlertType)
                    .containsOnly(AlertType.MODEL_REFUSED);
            Map<Long, String> why =
                    refusals.stream()
                            .collect(
                                    java.util.stream.Collectors.toMap(
                                            Alert::getVersion, Alert::getMessage));
            assertThat(why.get(2L)).contains("unsigned");
            assertThat(why.get(3L))
                    .contains("does not verify")
                    .contains(ModelSigning.keyId(stranger.getPublic()));
            // Its chunks are not signed by the trusted key, so none reached the disk (a chunk
            // swapped
            // under signed chunks fails the checksum: ModelTransportIT).
            assertThat(why.get(4L)).contains("its chunks are unsigned");
            assertThat(why.get(5L)).contains("does not verify");
            assertThat(why.get(1_000_000L)).contains("ahead of the newest known one (v1)");
            assertThat(why.get(6L)).contains("external data");
            assertThat(why.get(0L))
                    .as("the garbage, which names no SAE or version, by its offset")
                    .contains("at offset " + garbage + " of " + topics.models())
                    .contains("not an Avro single-object SaeModel");
        }
    }

    private static byte[] graph(long seed) {
        return EncoderGraph.build(
                        SaeParameters.initialise(N, D, seed), new EncoderSpec(K_MAX, false), SAE)
                .toByteArray();
    }

    /** {@code onnx} with its first initializer moved to an external file. */
    private static byte[] external(byte[] onnx) throws Exception {
        OnnxMl.ModelProto.Builder m = OnnxMl.ModelProto.parseFrom(onnx).toBuilder();
        OnnxMl.TensorProto.Builder t = m.getGraphBuilder().getInitializerBuilder(0);
        t.clearRawData()
                .clearFloatData()
                .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(
                        OnnxMl.StringStringEntryProto.newBuilder()
                                .setKey("location")
                                .setValue("/etc/passwd"));
        return m.build().toByteArray();
    }

    private static ModelPublisher.Version version(long v) {
        return new ModelPublisher.Version(SAE, v, "aen", N, D, K_MAX, Normalisation.NONE, Map.of());
    }

    private static SaeModel metadata(long version, byte[] onnx) {
        return SaeModel.newBuilder()
                .setSaeId(SAE)
                .setVersion(version)
                .setArch("aen")
                .setN(N)
                .setD(D)
                .setKMax(K_MAX)
                .setNormalisation(Normalisation.NONE)
                .setChecksum(ModelRecords.sha256(onnx))
                .setSizeBytes(0)
                .setChunkCount(1)
                .setCreatedAtMs(0)
                .build();
    }

    /** One chunk of {@code onnx}, then {@code model}, as a hostile writer would send them. */
    private static void sendRaw(
            KafkaProducer<byte[], byte[]> producer, String topic, SaeModel model, byte[] onnx)
            throws Exception {
        model.setSizeBytes((long) onnx.length);
        SaeModelChunk chunk =
                SaeModelChunk.newBuilder()
                        .setSaeId(model.getSaeId())
                        .setVersion(model.getVersion())
                        .setIndex(0)
                        .setCount(1)
                        .setData(ByteBuffer.wrap(onnx))
                        .build();
        send(
                producer,
                topic,
                ModelRecords.chunkKey(model.getSaeId(), model.getVersion(), 0),
                new AvroSerde<>(SaeModelChunk.class).toBytes(chunk),
                ModelRecords.CHUNK);
        send(
                producer,
                topic,
                ModelRecords.modelKey(model.getSaeId()),
                new AvroSerde<>(SaeModel.class).toBytes(model),
                ModelRecords.MODEL);
    }

    /** Sends a record with its type header; returns its offset. */
    private static long send(
            KafkaProducer<byte[], byte[]> producer,
            String topic,
            String key,
            byte[] value,
            String type)
            throws Exception {
        ProducerRecord<byte[], byte[]> r =
                new ProducerRecord<>(topic, 0, key.getBytes(StandardCharsets.UTF_8), value);
        r.headers().add(ModelRecords.TYPE_HEADER, ModelRecords.typeBytes(type));
        return producer.send(r).get().offset();
    }

    private static List<Alert> alerts(KafkaClusterTestKit cluster, Topics topics) {
        AvroSerde<Alert> serde = new AvroSerde<>(Alert.class);
        return TopicReader.read(
                        cluster.bootstrapServers(),
                        topics.alerts(),
                        false,
                        Integer.MAX_VALUE,
                        Duration.ofSeconds(2),
                        Duration.ZERO)
                .stream()
                .map(r -> serde.fromBytes(r.value()))
                .toList();
    }
}
