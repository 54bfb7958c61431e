package dev.aenstream.models;

import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Puts model versions back together from the models topic: keeps the chunks of each SAE's newest
 * version and, when the metadata arrives, checks that every chunk is there and that the bytes match
 * the checksum.
 */
public final class ModelAssembler {
    /** A complete version that passed its checksum. */
    public record Assembled(SaeModel model, byte[] onnx) {}

    /** A version that cannot be used, and why. */
    public static final class RefusedModel extends Exception {
        private final SaeModel model;

        RefusedModel(SaeModel model, String reason) {
            super(
                    "SAE " + model.getSaeId() + " v" + model.getVersion() + " refused: " + reason,
                    null,
                    false,
                    false);
            this.model = model;
        }

        public SaeModel model() {
            return model;
        }
    }

    /** Chunks by SAE id, of the newest version seen for it, by index. */
    private final Map<String, Map<Integer, SaeModelChunk>> pending = new HashMap<>();

    private final Map<String, Long> pendingVersion = new HashMap<>();

    public void add(SaeModelChunk chunk) {
        String id = chunk.getSaeId();
        Long current = pendingVersion.get(id);
        if (current == null || chunk.getVersion() > current) {
            pending.put(id, new TreeMap<>());
            pendingVersion.put(id, chunk.getVersion());
        } else if (chunk.getVersion() < current) {
            return;
        }
        pending.get(id).put(chunk.getIndex(), chunk);
    }

    /** Completes the version the metadata names. */
    public Assembled complete(SaeModel model) throws RefusedModel {
        Map<Integer, SaeModelChunk> parts = pending.get(model.getSaeId());
        Long version = pendingVersion.get(model.getSaeId());
        if (parts == null || version == null || version != model.getVersion()) {
            throw new RefusedModel(model, "its chunks were not found on the topic");
        }
        if (parts.size() != model.getChunkCount()) {
            throw new RefusedModel(
                    model, "has " + parts.size() + " of " + model.getChunkCount() + " chunks");
        }
        if (model.getSizeBytes() > Integer.MAX_VALUE)
            throw new RefusedModel(model, "is larger than 2 GiB");
        byte[] bytes = new byte[(int) model.getSizeBytes()];
        int at = 0;
        for (int i = 0; i < model.getChunkCount(); i++) {
            SaeModelChunk chunk = parts.get(i);
            if (chunk == null) throw new RefusedModel(model, "chunk " + i + " is missing");
            ByteBuffer data = chunk.getData().duplicate();
            if (at + data.remaining() > bytes.length)
                throw new RefusedModel(model, "chunks hold more bytes than the declared size");
            data.get(bytes, at, data.remaining());
            at += chunk.getData().remaining();
        }
        pending.remove(model.getSaeId());
        pendingVersion.remove(model.getSaeId());
        if (at != bytes.length)
            throw new RefusedModel(model, "chunks hold " + at + " of " + bytes.length + " bytes");
        String checksum = ModelRecords.sha256(bytes);
        if (!checksum.equals(model.getChecksum())) {
            throw new RefusedModel(
                    model,
                    "checksum "
                            + checksum
                            + " does not match the published "
                            + model.getChecksum());
        }
        return new Assembled(model, bytes);
    }
}
