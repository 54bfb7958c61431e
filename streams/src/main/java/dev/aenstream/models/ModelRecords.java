package dev.aenstream.models;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * How model versions sit on the models topic: chunks of the ONNX bytes first, then the metadata
 * record that commits the version. A header says which of the two a record is; keys are chosen for
 * compaction (the latest metadata per SAE, and the latest chunk per SAE and index, survive).
 */
public final class ModelRecords {
    public static final String TYPE_HEADER = "aen.record";
    public static final String MODEL = "model";
    public static final String CHUNK = "chunk";

    /** Chunk size: far below the 1 MB default message limit of brokers and producers. */
    public static final int CHUNK_BYTES = 512 * 1024;

    private ModelRecords() {}

    public static String modelKey(String saeId) {
        return saeId;
    }

    public static String chunkKey(String saeId, int index) {
        return saeId + "/chunk/" + index;
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
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
