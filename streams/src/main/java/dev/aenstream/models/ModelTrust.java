package dev.aenstream.models;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import java.security.PublicKey;
import java.util.List;

/**
 * Which published versions an encoder serves (docs/security.md): versions signed by a trusted key
 * (or unsigned ones, only when explicitly allowed), never a version number far ahead of the newest
 * one known, never a graph that reads files from the encoder's disk.
 *
 * @param trusted public keys whose signatures are accepted
 * @param allowUnsigned whether versions without a signature are served
 * @param maxVersionJump how far past the newest known version of an SAE a new one may be
 */
public record ModelTrust(List<PublicKey> trusted, boolean allowUnsigned, long maxVersionJump) {
    /**
     * Versions a trainer may publish between two that an encoder sees; a version far past it, such
     * as Long.MAX_VALUE, would otherwise pin the encoders to it for good.
     */
    public static final long DEFAULT_MAX_VERSION_JUMP = 100_000;

    public ModelTrust {
        trusted = List.copyOf(trusted);
        if (maxVersionJump <= 0)
            throw new IllegalArgumentException("the largest version jump must be positive");
        if (trusted.isEmpty() && !allowUnsigned)
            throw new IllegalArgumentException(
                    "encoders need --trusted-keys to check model signatures, or an explicit"
                            + " --allow-unsigned-models");
    }

    /** Serves only versions signed by one of {@code keys}. */
    public static ModelTrust signedBy(List<PublicKey> keys) {
        return new ModelTrust(keys, false, DEFAULT_MAX_VERSION_JUMP);
    }

    /** Serves any version (tests and --allow-unsigned-models). */
    public static ModelTrust anyVersion() {
        return new ModelTrust(List.of(), true, DEFAULT_MAX_VERSION_JUMP);
    }

    /**
     * Why {@code model} must not be served, or null when it may be; {@code newestKnown} is the
     * newest version of its SAE seen so far (0 for none).
     */
    public String refusal(SaeModel model, long newestKnown) {
        String name = "SAE " + model.getSaeId() + " v" + model.getVersion();
        if (model.getVersion() <= 0) return name + " refused: version numbers start at 1";
        if (model.getVersion() - newestKnown > maxVersionJump)
            return name
                    + " refused: it is more than "
                    + maxVersionJump
                    + " versions ahead of the newest known one (v"
                    + newestKnown
                    + ")";
        String unsigned = signatureRefusal(model);
        return unsigned == null ? null : name + " refused: " + unsigned;
    }

    /**
     * Why {@code model}'s signature is not good enough, or null when it is: the part of {@link
     * #refusal} that readers taking a version off the topic (models pull, features export) apply
     * too.
     */
    public String signatureRefusal(SaeModel model) {
        if (model.getSignature() == null)
            return allowUnsigned
                    ? null
                    : "it is unsigned, and only versions signed by a trusted key are taken"
                            + " (--trusted-keys; --allow-unsigned-models turns this off)";
        if (trusted.isEmpty()) return null;
        for (PublicKey k : trusted) if (ModelSigning.verify(model, k)) return null;
        return "its signature (key "
                + model.getSigningKeyId()
                + ") does not verify with any trusted key";
    }

    /**
     * Why {@code chunk} must not be spooled ("its chunks ..."), or null when it may be: followers
     * that check signatures take only chunks signed by a trusted key, and no chunk of a version
     * number far ahead of the newest known ({@code newestKnown}, 0 for none), checked before a byte
     * reaches the disk.
     */
    public String chunkRefusal(SaeModelChunk chunk, long newestKnown) {
        if (chunk.getVersion() <= 0 || chunk.getVersion() - newestKnown > maxVersionJump)
            return "are of a version implausible after v" + newestKnown;
        if (chunk.getIndex() < 0 || chunk.getIndex() >= chunk.getCount())
            return "claim index " + chunk.getIndex() + " of " + chunk.getCount();
        if (allowUnsigned && chunk.getSignature() == null) return null;
        if (chunk.getSignature() == null) return "are unsigned";
        if (trusted.isEmpty()) return null;
        for (PublicKey k : trusted) if (ModelSigning.verify(chunk, k)) return null;
        return "carry signatures that do not verify with any trusted key";
    }

    /**
     * Why {@code graph} must not be loaded, or null: a tensor stored as external data anywhere but
     * in the version's own {@code weightsBytes} of weights would make ONNX Runtime read a file
     * named by whoever published the graph, and an operator aen's graphs never use might do worse
     * ({@link dev.aenstream.sae.onnx.GraphAudit}); nor may it fold a constant that aborts ONNX
     * Runtime.
     */
    public static String graphRefusal(OnnxMl.ModelProto graph, long weightsBytes) {
        String audit = dev.aenstream.sae.onnx.GraphAudit.refusal(graph, weightsBytes);
        return audit != null ? audit : dev.aenstream.sae.onnx.OnnxPackage.foldRefusal(graph);
    }
}
