package dev.aenstream.models;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.sae.DictionaryShard;
import java.io.IOException;

/**
 * Whether a complete version may be served here, decided before anything is loaded: trusted (signed
 * by a key this encoder trusts, no implausible version jump), an ONNX graph that reads nothing
 * outside its own package, rows of the stream's width, and a dictionary that splits into this
 * follower's shards.
 */
final class VersionAdmission {
    private final ModelTrust trust;
    private final int expectedN;
    private final DictionaryShard shard;

    /** An admitted version's graph, parsed once. */
    record Admitted(byte[] graphBytes, OnnxMl.ModelProto graph) {}

    /**
     * @param expectedN width of the stream's rows (0: any)
     */
    VersionAdmission(ModelTrust trust, int expectedN, DictionaryShard shard) {
        this.trust = trust;
        this.expectedN = expectedN;
        this.shard = shard;
    }

    /**
     * Admits {@code a} over the version now served ({@code serving}, 0 for none), or says why not.
     */
    Admitted admit(ModelAssembler.Assembled a, long serving) throws VersionRefused {
        SaeModel m = a.model();
        String distrusted = trust.refusal(m, serving);
        if (distrusted != null) throw new VersionRefused(distrusted);
        byte[] graphBytes;
        OnnxMl.ModelProto graph;
        try {
            graphBytes = a.graph();
            graph = OnnxMl.ModelProto.parseFrom(graphBytes);
        } catch (IOException e) {
            throw refused(m, "its bytes are not an ONNX model: " + e.getMessage());
        }
        String unsafe = ModelTrust.graphRefusal(graph, a.weightsBytes());
        if (unsafe != null) throw refused(m, unsafe);
        if (expectedN > 0 && m.getN() != expectedN)
            throw refused(
                    m,
                    "it takes rows of n="
                            + m.getN()
                            + " but the stream's rows have n="
                            + expectedN);
        if (shard.count() > m.getD())
            throw refused(
                    m, "its D=" + m.getD() + " cannot be split into " + shard.count() + " shards");
        return new Admitted(graphBytes, graph);
    }

    /** Why metadata is not trusted, or null ({@link ModelTrust#refusal}). */
    String trustRefusal(SaeModel m, long newestKnown) {
        return trust.refusal(m, newestKnown);
    }

    /** Why a chunk must not be spooled, or null ({@link ModelTrust#chunkRefusal}). */
    String chunkRefusal(dev.aenstream.avro.SaeModelChunk chunk, long newestKnown) {
        return trust.chunkRefusal(chunk, newestKnown);
    }

    static VersionRefused refused(SaeModel m, String why) {
        return new VersionRefused(name(m) + " refused: " + why);
    }

    static String name(SaeModel m) {
        return "SAE " + m.getSaeId() + " v" + m.getVersion();
    }
}
