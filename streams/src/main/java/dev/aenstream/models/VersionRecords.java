package dev.aenstream.models;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import dev.aenstream.sae.onnx.ByteSink;
import dev.aenstream.sae.onnx.OnnxPackage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The records a version travels the models topic in ({@link ModelRecords} says how). */
final class VersionRecords {
    private final String topic;
    private final KeyPair signingKeys;
    private final AvroSerde<SaeModel> models = new AvroSerde<>(SaeModel.class);
    private final AvroSerde<SaeModelChunk> chunks = new AvroSerde<>(SaeModelChunk.class);

    /** Records for {@code topic}, versions signed with {@code signingKeys} (null: unsigned). */
    VersionRecords(String topic, KeyPair signingKeys) {
        this.topic = topic;
        this.signingKeys = signingKeys;
    }

    /** How many chunks a version of {@code sizeBytes} travels in. */
    static int chunkCount(long sizeBytes) {
        return Math.toIntExact(
                Math.max(1, (sizeBytes + ModelRecords.CHUNK_BYTES - 1) / ModelRecords.CHUNK_BYTES));
    }

    /**
     * Chunk {@code index} of {@code count} of version {@code v}: {@code data}'s remaining bytes.
     */
    private ProducerRecord<byte[], byte[]> chunk(
            ModelPublisher.Version v, int index, int count, ByteBuffer data) {
        SaeModelChunk chunk =
                SaeModelChunk.newBuilder()
                        .setSaeId(v.saeId())
                        .setVersion(v.version())
                        .setIndex(index)
                        .setCount(count)
                        .setData(data)
                        .build();
        // Signed, so that a follower checks a chunk before it writes it to disk.
        if (signingKeys != null) ModelSigning.sign(chunk, signingKeys.getPrivate());
        return record(
                ModelRecords.chunkKey(v.saeId(), v.version(), index),
                chunks.toBytes(chunk),
                ModelRecords.CHUNK);
    }

    /**
     * The metadata record that commits version {@code v}, whose package of {@code sizeBytes} (graph
     * of {@code graphBytes}, -1 when self-contained) has SHA-256 {@code checksum}; signed when keys
     * are set. One partition and an idempotent producer keep the order: it lands after its chunks.
     */
    Publication metadata(
            ModelPublisher.Version v,
            String checksum,
            long sizeBytes,
            int chunkCount,
            long graphBytes) {
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
                        .setChecksum(checksum)
                        .setSizeBytes(sizeBytes)
                        .setChunkCount(chunkCount)
                        .setGraphBytes(graphBytes)
                        .setCreatedAtMs(System.currentTimeMillis())
                        .setSourceModel(v.source().sourceModel())
                        .setHookPoint(v.source().hookPoint())
                        .setLineageFrom(v.lineage() == null ? null : v.lineage().from())
                        .setLineage(
                                v.lineage() == null
                                        ? null
                                        : dev.aenstream.avro.LittleEndian.ints(
                                                v.lineage().previous()))
                        .setLineageCos(
                                v.lineage() == null
                                        ? null
                                        : dev.aenstream.avro.LittleEndian.floats(v.lineage().cos()))
                        .build();
        if (signingKeys != null)
            ModelSigning.sign(model, signingKeys.getPrivate(), signingKeys.getPublic());
        return new Publication(
                model,
                record(
                        ModelRecords.modelKey(v.saeId()),
                        models.toBytes(model),
                        ModelRecords.MODEL));
    }

    /** A version's metadata and the record that carries it. */
    record Publication(SaeModel model, ProducerRecord<byte[], byte[]> record) {}

    /**
     * Streams version {@code v}'s chunks to {@code send} as the package writes itself (never whole
     * in memory), and returns the metadata that commits them, not yet sent.
     */
    Publication chunks(
            ModelPublisher.Version v,
            OnnxPackage model,
            Consumer<ProducerRecord<byte[], byte[]>> send) {
        int count = chunkCount(model.sizeBytes());
        ChunkChannel chunks = new ChunkChannel(v, count, send);
        try {
            model.writeTo(chunks);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write SAE " + v.saeId() + " v" + v.version(), e);
        }
        chunks.finish();
        return metadata(
                v,
                HexFormat.of().formatHex(chunks.sha256.digest()),
                model.sizeBytes(),
                count,
                model.selfContained() ? -1 : model.graph().length);
    }

    /** Cuts the bytes written to it into chunk records, hashing them on the way. */
    private final class ChunkChannel extends ByteSink {
        private final ModelPublisher.Version v;
        private final int count;
        private final Consumer<ProducerRecord<byte[], byte[]>> send;
        private final MessageDigest sha256 = ModelRecords.sha256();
        private ByteBuffer pending = ByteBuffer.allocate(ModelRecords.CHUNK_BYTES);
        private int index;

        ChunkChannel(
                ModelPublisher.Version v,
                int count,
                Consumer<ProducerRecord<byte[], byte[]>> send) {
            this.v = v;
            this.count = count;
            this.send = send;
        }

        @Override
        public int write(ByteBuffer src) {
            int written = src.remaining();
            while (src.hasRemaining()) {
                int take = Math.min(pending.remaining(), src.remaining());
                ByteBuffer slice = src.slice().limit(take);
                pending.put(slice);
                src.position(src.position() + take);
                if (!pending.hasRemaining()) emit();
            }
            return written;
        }

        private void emit() {
            pending.flip();
            sha256.update(pending.duplicate());
            send.accept(chunk(v, index++, count, pending));
            // The record holds the buffer until it is serialised: each chunk gets its own.
            pending = ByteBuffer.allocate(ModelRecords.CHUNK_BYTES);
        }

        void finish() {
            if (pending.position() > 0 || index == 0) emit();
            if (index != count)
                throw new IllegalStateException(
                        "the package wrote " + index + " chunks where its size gives " + count);
        }
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
