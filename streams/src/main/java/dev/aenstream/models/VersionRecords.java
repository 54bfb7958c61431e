package dev.aenstream.models;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The records a version travels the models topic in ({@link ModelRecords} says how). */
final class VersionRecords {
    /** A version's records, chunks first and then the metadata that commits them. */
    record Publication(SaeModel model, List<ProducerRecord<byte[], byte[]>> records) {}

    private final String topic;
    private final KeyPair signingKeys;
    private final AvroSerde<SaeModel> models = new AvroSerde<>(SaeModel.class);
    private final AvroSerde<SaeModelChunk> chunks = new AvroSerde<>(SaeModelChunk.class);

    /** Records for {@code topic}, versions signed with {@code signingKeys} (null: unsigned). */
    VersionRecords(String topic, KeyPair signingKeys) {
        this.topic = topic;
        this.signingKeys = signingKeys;
    }

    /** The records of version {@code v} with the graph {@code onnx}, signed when keys are set. */
    Publication publication(ModelPublisher.Version v, byte[] onnx) {
        int count =
                Math.max(
                        1, (onnx.length + ModelRecords.CHUNK_BYTES - 1) / ModelRecords.CHUNK_BYTES);
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(count + 1);
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
            out.add(
                    record(
                            ModelRecords.chunkKey(v.saeId(), v.version(), i),
                            chunks.toBytes(chunk),
                            ModelRecords.CHUNK));
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
        out.add(
                record(
                        ModelRecords.modelKey(v.saeId()),
                        models.toBytes(model),
                        ModelRecords.MODEL));
        return new Publication(model, out);
    }

    /** Tombstones of every chunk of {@code model}'s version: compaction removes them. */
    List<ProducerRecord<byte[], byte[]>> tombstones(SaeModel model) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (int i = 0; i < model.getChunkCount(); i++)
            out.add(
                    record(
                            ModelRecords.chunkKey(model.getSaeId(), model.getVersion(), i),
                            null,
                            ModelRecords.CHUNK));
        return out;
    }

    private ProducerRecord<byte[], byte[]> record(String key, byte[] value, String type) {
        ProducerRecord<byte[], byte[]> r =
                new ProducerRecord<>(topic, 0, key.getBytes(StandardCharsets.UTF_8), value);
        r.headers().add(ModelRecords.TYPE_HEADER, ModelRecords.typeBytes(type));
        return r;
    }
}
