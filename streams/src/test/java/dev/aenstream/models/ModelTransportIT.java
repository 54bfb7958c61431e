package dev.aenstream.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
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
 * Model versions through a broker with its default limits (1 MB messages): chunks, checksums,
 * refusals.
 */
class ModelTransportIT {

    @Test
    void aLargeModelTravelsInChunksAndBrokenOrUnfitVersionsAreRefused() throws Exception {
        Topics topics = new Topics("mt.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            // No max.message.bytes override anywhere: the broker's default limit applies.
            admin.createTopics(
                            List.of(
                                    new NewTopic(topics.models(), 1, (short) 1)
                                            .configs(Map.of("cleanup.policy", "compact")),
                                    new NewTopic(topics.alerts(), 1, (short) 1)))
                    .all()
                    .get();
            String bootstrap = cluster.bootstrapServers();
            int n = 1024;
            int d = 16384;
            byte[] big =
                    EncoderGraph.build(
                                    SaeParameters.initialise(n, d, 5),
                                    new EncoderSpec(64, false),
                                    "big")
                            .toByteArray();
            assertThat(big.length).isGreaterThanOrEqualTo(50_000_000);

            SaeRegistry registry = new SaeRegistry();
            try (ModelPublisher publisher =
                            new ModelPublisher(KafkaConnection.of(bootstrap), topics.models());
                    AlertPublisher alerts =
                            new AlertPublisher(KafkaConnection.of(bootstrap), topics.alerts());
                    ModelFollower follower =
                            new ModelFollower(
                                            KafkaConnection.of(bootstrap),
                                            topics,
                                            registry,
                                            new FollowerAlerts(alerts),
                                            n,
                                            ModelTrust.anyVersion(),
                                            Device.CPU,
                                            1)
                                    .start()) {
                SaeModel published =
                        publisher.publish(
                                new ModelPublisher.Version(
                                        "big",
                                        1,
                                        "aen",
                                        n,
                                        d,
                                        64,
                                        Normalisation.NONE,
                                        Map.of("lambda1", "0.005")),
                                big);
                assertThat(published.getChunkCount()).isGreaterThan(90);
                assertThat(follower.awaitServing(1, Duration.ofSeconds(120))).isTrue();
                ServingSae serving = registry.serving().get(0);
                assertThat(serving.version()).isEqualTo(1);
                assertThat(serving.encoder().d()).isEqualTo(d);

                // Version 2 with one corrupted chunk: the checksum catches it and version 1 keeps
                // serving.
                sendCorrupted(bootstrap, topics.models(), "big", 2, big, 7);
                // Version 3 of the same SAE for rows of another width.
                byte[] narrow =
                        EncoderGraph.build(
                                        SaeParameters.initialise(8, 16, 1),
                                        new EncoderSpec(4, false),
                                        "narrow")
                                .toByteArray();
                publisher.publish(
                        new ModelPublisher.Version(
                                "big", 3, "aen", 8, 16, 4, Normalisation.NONE, Map.of()),
                        narrow);
                assertThat(
                                Wait.until(
                                        Duration.ofSeconds(60),
                                        () -> follower.refused().getOrDefault("big", 0L) >= 3))
                        .as("the follower refused the three versions")
                        .isTrue();
                assertThat(follower.refused()).containsEntry("big", 3L);
                assertThat(registry.serving())
                        .singleElement()
                        .satisfies(s -> assertThat(s.version()).isEqualTo(1));
                alerts.flush();
            }
            List<Alert> refusals = readAlerts(bootstrap, topics.alerts(), 2);
            assertThat(refusals)
                    .extracting(Alert::getAlertType)
                    .containsOnly(AlertType.MODEL_REFUSED);
            assertThat(refusals).extracting(Alert::getVersion).containsExactly(2L, 3L);
            assertThat(refusals.get(0).getMessage()).contains("checksum");
            assertThat(refusals.get(1).getMessage()).contains("n=8").contains("n=1024");
        }
    }

    /**
     * Sends a version by hand, as a faulty publisher would: one chunk's bytes altered, the checksum
     * of the original.
     */
    private static void sendCorrupted(
            String bootstrap, String topic, String saeId, long version, byte[] onnx, int badChunk)
            throws Exception {
        AvroSerde<SaeModelChunk> chunks = new AvroSerde<>(SaeModelChunk.class);
        AvroSerde<SaeModel> models = new AvroSerde<>(SaeModel.class);
        int count = (onnx.length + ModelRecords.CHUNK_BYTES - 1) / ModelRecords.CHUNK_BYTES;
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
            for (int i = 0; i < count; i++) {
                int from = i * ModelRecords.CHUNK_BYTES;
                byte[] data =
                        java.util.Arrays.copyOfRange(
                                onnx, from, Math.min(onnx.length, from + ModelRecords.CHUNK_BYTES));
                if (i == badChunk) data[100] ^= 0x5a;
                SaeModelChunk chunk =
                        SaeModelChunk.newBuilder()
                                .setSaeId(saeId)
                                .setVersion(version)
                                .setIndex(i)
                                .setCount(count)
                                .setData(ByteBuffer.wrap(data))
                                .build();
                send(
                        producer,
                        topic,
                        ModelRecords.chunkKey(saeId, version, i),
                        chunks.toBytes(chunk),
                        ModelRecords.CHUNK);
            }
            SaeModel model =
                    SaeModel.newBuilder()
                            .setSaeId(saeId)
                            .setVersion(version)
                            .setArch("aen")
                            .setN(1024)
                            .setD(16384)
                            .setKMax(64)
                            .setNormalisation(Normalisation.NONE)
                            .setChecksum(ModelRecords.sha256(onnx))
                            .setSizeBytes(onnx.length)
                            .setChunkCount(count)
                            .setCreatedAtMs(0)
                            .build();
            send(
                    producer,
                    topic,
                    ModelRecords.modelKey(saeId),
                    models.toBytes(model),
                    ModelRecords.MODEL);
            producer.flush();
        }
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer,
            String topic,
            String key,
            byte[] value,
            String type)
            throws Exception {
        ProducerRecord<byte[], byte[]> r =
                new ProducerRecord<>(topic, 0, key.getBytes(StandardCharsets.UTF_8), value);
        r.headers().add(ModelRecords.TYPE_HEADER, ModelRecords.typeBytes(type));
        producer.send(r).get();
    }

    private static List<Alert> readAlerts(String bootstrap, String topic, int expected) {
        AvroSerde<Alert> serde = new AvroSerde<>(Alert.class);
        return TopicReader.read(
                        bootstrap, topic, false, expected, Duration.ofSeconds(30), Duration.ZERO)
                .stream()
                .map(r -> serde.fromBytes(r.value()))
                .toList();
    }
}
