package dev.aenstream.sae;

import ai.onnx.proto.OnnxMl;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An SAE's decoder, {@code xhat = W_dec h + b_dec}, kept with atoms as rows (D x n) so that
 * decoding sparse codes reads each active atom contiguously: the cost is entries x n, not D x n.
 */
public record SaeDecoder(int n, int d, float[] atoms, float[] bDec) {
    /** Names of the decoder's tensors when an encoder graph carries them (unused by its nodes). */
    public static final String ATOMS = "decoder.atoms";

    public static final String B_DEC = "decoder.b_dec";

    public static SaeDecoder of(SaeParameters p) {
        int n = p.n();
        int d = p.d();
        float[] atoms = new float[d * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) atoms[j * n + i] = p.wDec()[i * d + j];
        return new SaeDecoder(n, d, atoms, p.bDec().clone());
    }

    /** Reconstructs row {@code r} of the codes into {@code out} (n values). */
    public void decode(SparseCodes codes, int r, float[] out) {
        System.arraycopy(bDec, 0, out, 0, n);
        int[] idx = codes.indices();
        float[] val = codes.values();
        for (int e = codes.rowOffsets()[r]; e < codes.rowOffsets()[r + 1]; e++) {
            int base = idx[e] * n;
            float v = val[e];
            // A plain float loop over a contiguous atom: the JIT turns it into SIMD.
            for (int i = 0; i < n; i++) out[i] += v * atoms[base + i];
        }
    }

    /** The decoder's tensors as initializers to add to an encoder graph. */
    public OnnxMl.GraphProto addTo(OnnxMl.GraphProto graph) {
        return graph.toBuilder()
                .addInitializer(tensor(ATOMS, atoms, d, n))
                .addInitializer(tensor(B_DEC, bDec, n))
                .build();
    }

    /** The decoder an encoder graph carries, or null. */
    public static SaeDecoder from(OnnxMl.GraphProto graph) {
        float[] atoms = null;
        float[] bDec = null;
        long[] shape = null;
        for (OnnxMl.TensorProto t : graph.getInitializerList()) {
            if (t.getName().equals(ATOMS)) {
                atoms = floats(t);
                shape = new long[] {t.getDims(0), t.getDims(1)};
            } else if (t.getName().equals(B_DEC)) {
                bDec = floats(t);
            }
        }
        if (atoms == null || bDec == null) return null;
        return new SaeDecoder(Math.toIntExact(shape[1]), Math.toIntExact(shape[0]), atoms, bDec);
    }

    private static OnnxMl.TensorProto tensor(String name, float[] values, long... dims) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        OnnxMl.TensorProto.Builder t =
                OnnxMl.TensorProto.newBuilder()
                        .setName(name)
                        .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                        .setRawData(com.google.protobuf.ByteString.copyFrom(bytes));
        for (long dim : dims) t.addDims(dim);
        return t.build();
    }

    private static float[] floats(OnnxMl.TensorProto t) {
        float[] out = new float[t.getRawData().size() / 4];
        t.getRawData()
                .asReadOnlyByteBuffer()
                .order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer()
                .get(out);
        return out;
    }
}
