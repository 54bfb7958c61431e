package dev.aenstream.models;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.topics.TopicSnapshot;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * How model versions sit on the models topic: chunks of the version's bytes first (an ONNX model,
 * or a graph with its weights beside it: {@link dev.aenstream.sae.onnx.OnnxPackage}), then the
 * metadata record that commits the version. A header says which of the two a record is; keys are
 * chosen for compaction: the latest metadata per SAE survives, and chunks are keyed by SAE, version
 * and index, so a half-published newer version never overwrites the chunks of the committed one. A
 * publisher tombstones a version's chunks once a newer version is committed.
 */
public final class ModelRecords {
    private static final org.slf4j.Logger LOG =
            org.slf4j.LoggerFactory.getLogger(ModelRecords.class);

    public static final String TYPE_HEADER = "aen.record";
    public static final String MODEL = "model";
    public static final String CHUNK = "chunk";

    /**
     * Chunk size: far below the 1 MB default message limit of brokers and producers. Every chunk
     * but a version's last holds exactly this many bytes.
     */
    public static final int CHUNK_BYTES = 512 * 1024;

    private ModelRecords() {}

    public static String modelKey(String saeId) {
        return saeId;
    }

    public static String chunkKey(String saeId, long version, int index) {
        return saeId + "/v" + version + "/chunk/" + index;
    }

    /**
     * The metadata of every committed version on the models topic, in the order it was published,
     * read from the topic's start to its current end.
     */
    public static List<SaeModel> versions(KafkaConnection connection, String topic) {
        AvroSerde<SaeModel> models = new AvroSerde<>(SaeModel.class);
        List<SaeModel> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : TopicSnapshot.read(connection, topic)) {
            if (r.value() == null || !MODEL.equals(type(r.headers()))) continue;
            try {
                out.add(models.fromBytes(r.value()));
            } catch (RuntimeException unreadable) {
                // Not a version anyone serves: it numbers nothing.
            }
        }
        return out;
    }

    /**
     * The metadata of the newest version on the models topic per SAE id: a trainer numbers its next
     * versions past these, and retires their chunks when its first version replaces them.
     */
    public static Map<String, SaeModel> newestVersions(KafkaConnection connection, String topic) {
        return newest(versions(connection, topic), null);
    }

    /**
     * The newest of {@code versions} per SAE id, believing only metadata that holds together and,
     * with {@code signedBy}, carries that key's signature: a trainer numbers its versions past
     * these and writes a tombstone per chunk of each, so one forged record of version
     * Long.MAX_VALUE or of 2^31 chunks would otherwise stop it for good.
     */
    public static Map<String, SaeModel> newest(List<SaeModel> versions, PublicKey signedBy) {
        Map<String, SaeModel> newest = new HashMap<>();
        for (SaeModel m : versions) {
            String misfit = misfit(m);
            if (misfit == null && signedBy != null && !ModelSigning.verify(m, signedBy))
                misfit = "it is not signed by this trainer's key";
            if (misfit != null) {
                LOG.warn(
                        "not believing SAE {} v{} on the models topic: {}",
                        m.getSaeId(),
                        m.getVersion(),
                        misfit);
                continue;
            }
            newest.merge(m.getSaeId(), m, (a, b) -> a.getVersion() >= b.getVersion() ? a : b);
        }
        return newest;
    }

    /** Most chunks a version may claim: a version of the largest size a follower spools. */
    static final int MAX_CHUNKS = (int) (ModelAssembler.DEFAULT_MAX_VERSION_BYTES / CHUNK_BYTES);

    /** Why metadata does not hold together (its sizes, its number), or null when it does. */
    static String misfit(SaeModel m) {
        if (m.getVersion() <= 0 || m.getVersion() > Long.MAX_VALUE / 2)
            return "version " + m.getVersion() + " is out of range";
        if (m.getSizeBytes() < 0 || m.getChunkCount() < 1 || m.getChunkCount() > MAX_CHUNKS)
            return "it claims " + m.getChunkCount() + " chunks of " + m.getSizeBytes() + " bytes";
        long expected = Math.max(1, (m.getSizeBytes() + CHUNK_BYTES - 1) / CHUNK_BYTES);
        if (m.getChunkCount() != expected)
            return m.getSizeBytes()
                    + " bytes travel in "
                    + expected
                    + " chunks, not "
                    + m.getChunkCount();
        return null;
    }

    /**
     * How version {@code m}'s encoder was built: as its graph records it, or for graphs from before
     * they did, as its metadata says; its matrices in the precision they were read in.
     */
    public static dev.aenstream.sae.onnx.EncoderSpec encoderSpec(
            SaeModel m, dev.aenstream.sae.onnx.EncoderTensors.Read read) {
        if (read.spec() != null) return read.spec();
        boolean normalise = m.getNormalisation() == dev.aenstream.avro.Normalisation.UNIT_SQRT_N;
        return Penalties.find(m.getArch())
                .map(p -> p.encoderSpec(m.getKMax(), normalise, read.precision()))
                .orElseGet(
                        () ->
                                new dev.aenstream.sae.onnx.EncoderSpec(
                                        m.getKMax(),
                                        normalise,
                                        // An imported kind: JumpReLU exactly when it has
                                        // thresholds.
                                        read.weights().threshold() != null
                                                ? dev.aenstream.sae.onnx.Activation.JUMP_RELU
                                                : dev.aenstream.sae.onnx.Activation.RELU,
                                        read.precision()));
    }

    /** The record type named by the headers, or null. */
    public static String type(Headers headers) {
        Header h = headers.lastHeader(TYPE_HEADER);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    public static byte[] typeBytes(String type) {
        return type.getBytes(StandardCharsets.UTF_8);
    }

    static String sha256(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(sha256().digest(bytes));
    }

    static java.security.MessageDigest sha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
