package dev.aenstream.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.RecordDecodingException;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import dev.aenstream.fuzz.Fuzzer;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.OnnxPackage;
import dev.aenstream.sae.runtime.Device;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A follower's whole path for what it reads from the models topic, whatever the bytes: chunk and
 * metadata records decoded, chunks gated and spooled, versions completed against their checksum,
 * admitted (trust, graph audit, width) and opened in ONNX Runtime. Every step either goes through
 * or refuses as the follower reports it (a dead record, a refused version); any other exception, an
 * OutOfMemoryError or a hang is a finding.
 *
 * <p>An input is a run of records, each framed as a type byte (0 chunk, 1 metadata), a 4-byte
 * length and the record's bytes; a length past the end takes what is left, so that mutations of the
 * framing still reach the parsers.
 */
class ModelAssemblyFuzzTest {
    private static final int N = 8;
    private static final int D = 16;
    private static final int K_MAX = 4;
    private static final int CHUNKS = 3;

    private static final AvroSerde<SaeModelChunk> CHUNK_SERDE =
            new AvroSerde<>(SaeModelChunk.class);
    private static final AvroSerde<SaeModel> MODEL_SERDE = new AvroSerde<>(SaeModel.class);

    /** One of the input's records was refused as documented. */
    private static final class Refused extends Exception {
        Refused(String why) {
            super(why, null, false, false);
        }
    }

    @Test
    void assemblesOrRefusesWhateverTheTopicHolds() throws Exception {
        SaeParameters p = SaeParameters.initialise(N, D, 3);
        OnnxPackage packaged =
                EncoderGraph.packagedFrom(
                        EncoderGraph.Weights.of(p).withDecoder(SaeDecoder.of(p)),
                        new EncoderSpec(K_MAX, false),
                        "fuzz",
                        N * D * Float.BYTES);
        byte[] whole = EncoderGraph.build(p, new EncoderSpec(K_MAX, false), "fuzz").toByteArray();
        List<byte[]> seeds =
                List.of(
                        frames(version("a", 1, bytes(packaged), packaged.graph().length)),
                        frames(version("b", 7, whole, -1)),
                        forged(version("a", 3, bytes(packaged), packaged.graph().length)),
                        // Two SAEs' versions interleaved, as trainers publishing at once write.
                        interleaved(
                                version("a", 2, bytes(packaged), packaged.graph().length),
                                version("b", 8, whole, -1)));
        // Each seed is a version a follower serves.
        for (byte[] s : seeds) follow(s);

        Fuzzer.Report report =
                Fuzzer.run(
                        "model-assembly",
                        seeds,
                        ModelAssemblyFuzzTest::follow,
                        t -> t instanceof Refused);
        System.out.printf(
                "fuzz %s: %,d inputs, %,d accepted, %,d refused%n",
                report.name(), report.inputs(), report.accepted(), report.refused());
        assertThat(report.refused()).isPositive();
        assertThat(report.accepted()).isPositive();
    }

    /** What a follower with unsigned models allowed does with {@code input}'s records. */
    private static void follow(byte[] input) throws Exception {
        VersionAdmission admission =
                new VersionAdmission(ModelTrust.anyVersion(), N, DictionaryShard.WHOLE);
        ChunkGate gate = new ChunkGate(admission);
        VersionLoader loader = new VersionLoader(Device.CPU, 1, DictionaryShard.WHOLE);
        List<String> refusals = new ArrayList<>();
        int served = 0;
        Map<String, ByteArrayOutputStream> sent = new HashMap<>();
        try (ModelAssembler assembler = new ModelAssembler(1 << 20)) {
            ByteBuffer in = ByteBuffer.wrap(input);
            long offset = 0;
            while (in.remaining() >= 5) {
                int type = in.get();
                int length = (int) Math.min(Integer.toUnsignedLong(in.getInt()), in.remaining());
                byte[] value = new byte[length];
                in.get(value);
                try {
                    if ((type & 1) == 0) {
                        SaeModelChunk chunk = CHUNK_SERDE.fromBytes(value);
                        sent.computeIfAbsent(
                                        key(chunk.getSaeId(), chunk.getVersion()),
                                        k -> new ByteArrayOutputStream())
                                .writeBytes(bytes(chunk.getData()));
                        if (gate.admits(chunk, 0, offset)) assembler.add(chunk);
                    } else {
                        SaeModel m = MODEL_SERDE.fromBytes(value);
                        if ((type & 2) != 0) forge(m, sent.get(key(m.getSaeId(), m.getVersion())));
                        serve(m, admission, gate, assembler, loader);
                        served++;
                    }
                } catch (RecordDecodingException | ModelAssembler.RefusedModel | VersionRefused e) {
                    refusals.add(e.getMessage());
                }
                offset++;
            }
        }
        if (!refusals.isEmpty()) throw new Refused(String.join("; ", refusals));
        // Accepted means a version served: inputs that hold none are no new ground to start from.
        if (served == 0) throw new Refused("no version");
    }

    /**
     * Gives {@code m} the checksum and size of {@code chunks}, as whoever can write the topic can.
     */
    private static void forge(SaeModel m, ByteArrayOutputStream chunks) {
        if (chunks == null) return;
        byte[] b = chunks.toByteArray();
        m.setChecksum(ModelRecords.sha256(b));
        m.setSizeBytes((long) b.length);
    }

    private static String key(CharSequence saeId, long version) {
        return saeId + "\u0000" + version;
    }

    private static byte[] bytes(ByteBuffer data) {
        byte[] b = new byte[data.remaining()];
        data.duplicate().get(b);
        return b;
    }

    private static void serve(
            SaeModel m,
            VersionAdmission admission,
            ChunkGate gate,
            ModelAssembler assembler,
            VersionLoader loader)
            throws Exception {
        String distrusted = admission.trustRefusal(m, 0);
        String dropped = distrusted != null ? distrusted : gate.refusal(m);
        if (dropped != null) {
            assembler.discard(m);
            throw new VersionRefused(dropped);
        }
        ModelAssembler.Assembled a = assembler.complete(m);
        try {
            VersionLoader.Loaded loaded = loader.load(a, admission.admit(a, 0));
            loaded.encoder().close();
        } finally {
            a.delete();
        }
    }

    /** A version's records in the order a publisher writes them: chunks, then its metadata. */
    private static List<byte[][]> version(String saeId, long v, byte[] bytes, long graphBytes)
            throws Exception {
        List<byte[][]> out = new ArrayList<>();
        int per = (bytes.length + CHUNKS - 1) / CHUNKS;
        for (int i = 0; i < CHUNKS; i++) {
            byte[] data = Arrays.copyOfRange(bytes, i * per, Math.min(bytes.length, (i + 1) * per));
            SaeModelChunk chunk =
                    SaeModelChunk.newBuilder()
                            .setSaeId(saeId)
                            .setVersion(v)
                            .setIndex(i)
                            .setCount(CHUNKS)
                            .setData(ByteBuffer.wrap(data))
                            .build();
            out.add(new byte[][] {{0}, CHUNK_SERDE.toBytes(chunk)});
        }
        SaeModel model =
                new VersionRecords("aen.models", null)
                        .metadata(
                                new ModelPublisher.Version(
                                        saeId, v, "aen", N, D, K_MAX, Normalisation.NONE, Map.of()),
                                ModelRecords.sha256(bytes),
                                bytes.length,
                                CHUNKS,
                                graphBytes)
                        .model();
        out.add(new byte[][] {{1}, MODEL_SERDE.toBytes(model)});
        return out;
    }

    private static byte[] bytes(OnnxPackage p) throws java.io.IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.writeTo(java.nio.channels.Channels.newChannel(out));
        assertThat(p.selfContained()).as("weights beside the graph").isFalse();
        return out.toByteArray();
    }

    /** The version's records, its metadata marked to get the checksum a forger computes. */
    private static byte[] forged(List<byte[][]> version) {
        version.get(version.size() - 1)[0][0] = 3;
        return frames(version);
    }

    private static byte[] interleaved(List<byte[][]> a, List<byte[][]> b) {
        List<byte[][]> out = new ArrayList<>();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            if (i < a.size()) out.add(a.get(i));
            if (i < b.size()) out.add(b.get(i));
        }
        return frames(out);
    }

    private static byte[] frames(List<byte[][]> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[][] r : records) {
            out.write(r[0][0]);
            out.writeBytes(ByteBuffer.allocate(4).putInt(r[1].length).array());
            out.writeBytes(r[1]);
        }
        return out.toByteArray();
    }
}
