package dev.aenstream.sae.train;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.aenstream.sae.onnx.Graph;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.OrtSessions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The sparse step's one dense product, in ONNX Runtime: {@code (x - b_dec) W_enc^T}, written
 * straight into the codes' buffer. Without a cut the encoder bias is added as the active codes are
 * read; with a TopK cut the graph adds it and also returns each row's k-th largest value, which
 * bounds the row's active codes as the dense graph decides them.
 */
final class PreActivations implements AutoCloseable {
    private static final String CENTRED = "xc";
    private static final String K = "k";

    private final int n;
    private final int d;
    private final int k;
    private final OrtSessions.Opened opened;
    private final OrtEnvironment env = OrtSessions.environment();
    private final FloatBuffer xIn, wEncIn, bEncIn;
    private final Map<String, OnnxTensor> fixed = new HashMap<>();

    PreActivations(int n, int d, int batch, int k, Device device, int threads) throws OrtException {
        this.n = n;
        this.d = d;
        this.k = k;
        this.opened =
                OrtSessions.openWithoutSpinning(graph(n, d, k).toByteArray(), device, threads);
        xIn = direct(Math.multiplyExact(batch, n));
        wEncIn = direct(Math.multiplyExact(d, n));
        bEncIn = direct(d);
        fixed.put("W_enc", OnnxTensor.createTensor(env, wEncIn, new long[] {d, n}));
        if (k > 0) {
            fixed.put("b_enc", OnnxTensor.createTensor(env, bEncIn, new long[] {d}));
            fixed.put(K, OnnxTensor.createTensor(env, new long[] {k}));
        }
    }

    private static OnnxMl.ModelProto graph(int n, int d, int k) {
        Graph g = new Graph("sae_train_pre_activations", DataType.FLOAT);
        String xc = g.input(CENTRED, -1, n);
        String wEnc = g.input("W_enc", d, n);
        if (k == 0) {
            g.output(g.op("Gemm", Map.of("transB", 1L), xc, wEnc), SparseCodesOfStep.PRE, -1, d);
            return g.model();
        }
        String pre = g.op("Gemm", Map.of("transB", 1L), xc, wEnc, g.input("b_enc", d));
        g.output(pre, SparseCodesOfStep.PRE, -1, d);
        String top =
                g.ops(
                                2,
                                "TopK",
                                Map.of("axis", -1L, "largest", 1L, "sorted", 1L),
                                pre,
                                g.input(K, DataType.INT64, 1))[0];
        String kth = g.op("ReduceMin", Map.of("axes", new long[] {1}, "keepdims", 1L), top);
        g.output(kth, SparseCodesOfStep.KTH, -1, 1);
        return g.model();
    }

    private static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(floats, 4))
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }

    Device device() {
        return opened.device();
    }

    /** The pre-activations of {@code rows} centred rows {@code xc}, read off into {@code codes}. */
    void run(
            float[] xc,
            int rows,
            float[] wEnc,
            float[] bEnc,
            SparseCodesOfStep codes,
            StepThreads threads)
            throws OrtException {
        xIn.clear().put(xc, 0, rows * n).flip();
        wEncIn.clear().put(wEnc).flip();
        if (k > 0) bEncIn.clear().put(bEnc).flip();
        try (OnnxTensor x = OnnxTensor.createTensor(env, xIn, new long[] {rows, n});
                OnnxTensor pre = codes.preTensor(env, rows)) {
            Map<String, OnnxTensor> inputs = new HashMap<>(fixed);
            inputs.put(CENTRED, x);
            // The pre-activations go into the codes' buffer; only the k-th values come back.
            Set<String> wanted = k > 0 ? Set.of(SparseCodesOfStep.KTH) : Set.of();
            try (OrtSession.Result result =
                    opened.session().run(inputs, wanted, Map.of(SparseCodesOfStep.PRE, pre))) {
                float[] kth = null;
                if (k > 0) {
                    kth = new float[rows];
                    ((OnnxTensor) result.get(SparseCodesOfStep.KTH).orElseThrow())
                            .getFloatBuffer()
                            .get(kth);
                }
                codes.extract(rows, kth, k > 0 ? null : bEnc, threads);
            }
        }
    }

    @Override
    public void close() throws OrtException {
        for (OnnxTensor t : fixed.values()) t.close();
        opened.close();
    }
}
