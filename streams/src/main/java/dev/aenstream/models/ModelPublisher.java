package dev.aenstream.models;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import dev.aenstream.topics.Producers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Publishes SAE versions to the models topic: chunks, then the metadata that commits them. */
public final class ModelPublisher implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final AvroSerde<SaeModel> models = new AvroSerde<>(SaeModel.class);
    private final AvroSerde<SaeModelChunk> chunks = new AvroSerde<>(SaeModelChunk.class);
    private final KeyPair signingKeys;

    /** Publishes unsigned versions. */
    public ModelPublisher(KafkaConnection connection, String topic) {
        this(connection, topic, null);
    }

    /**
     * Publishes versions signed with {@code signingKeys} ({@link ModelSigning}; null: unsigned).
     */
    public ModelPublisher(KafkaConnection connection, String topic, KeyPair signingKeys) {
        this.topic = topic;
        this.signingKeys = signingKeys;
        this.producer = Producers.idempotent(connection, "aen-model-publisher");
    }

    /** What describes a version besides its bytes. */
    public record Version(
            String saeId,
            long version,
            String arch,
            int n,
            int d,
            int kMax,
            Normalisation normalisation,
            Map<String, String> hyperparameters) {}

    /**
     * Sends the version and waits until the broker has every record of it; returns its metadata.
     */
    public SaeModel publish(Version v, byte[] onnx)
            throws ExecutionException, InterruptedException {
        int count =
                Math.max(
                        1, (onnx.length + ModelRecords.CHUNK_BYTES - 1) / ModelRecords.CHUNK_BYTES);
        List<Future<RecordMetadata>> sent = new ArrayList<>(count + 1);
        for (int i = 0; i < count; i++) {
            int from = i * ModelRecords.CHUNK_BYTES;
            int to = Math.min(onnx.length, from + ModelRecords.CHUNK_BYTES);
            SaeModelChunk chunk =
                    SaeModelChunk.newBuilder()
                            .setSaeId(v.saeId())
                            .setVersion(v.version())
                            .setIndex(i)
                            .setCount(count)
                            .setData(ByteBuffer.wrap(onnx, from, to - from))
                            .build();
            sent.add(
                    producer.send(
                            record(
                                    ModelRecords.chunkKey(v.saeId(), i),
                                    chunks.toBytes(chunk),
                                    ModelRecords.CHUNK)));
        }
        SaeModel model =
                SaeModel.newBuilder()
                        .setSaeId(v.saeId())
                        .setVersion(v.version())
                        .setArch(v.arch())
                        .setN(v.n())
                        .setD(v.d())
                        .setKMax(v.kMax())
                        .setNormalisation(v.normalisation())
                        .setHyperparameters(v.hyperparameters())
                        .setChecksum(ModelRecords.sha256(onnx))
                        .setSizeBytes(onnx.length)
                        .setChunkCount(count)
                        .setCreatedAtMs(System.currentTimeMillis())
                        .build();
        if (signingKeys != null)
            ModelSigning.sign(model, signingKeys.getPrivate(), signingKeys.getPublic());
        // One partition and an idempotent producer keep the order: the metadata lands after its
        // chunks.
        sent.add(
                producer.send(
                        record(
                                ModelRecords.modelKey(v.saeId()),
                                models.toBytes(model),
                                ModelRecords.MODEL)));
        for (Future<RecordMetadata> f : sent) f.get();
        return model;
    }

    private ProducerRecord<byte[], byte[]> record(String key, byte[] value, String type) {
        ProducerRecord<byte[], byte[]> r =
                new ProducerRecord<>(topic, 0, key.getBytes(StandardCharsets.UTF_8), value);
        r.headers().add(ModelRecords.TYPE_HEADER, ModelRecords.typeBytes(type));
        return r;
    }

    @Override
    public void close() {
        producer.close();
    }
}
