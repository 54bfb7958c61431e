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
    private final FloatBuffer xIn, bEncIn;
    private final Map<String, OnnxTensor> fixed = new HashMap<>();

    /** W_enc in blocks of rows, each at most {@link #MAX_BLOCK_BYTES}. */
    private final FloatBuffer[] wEncIn;

    /**
     * The largest W_enc block: a direct buffer holds at most 2 GiB - 1 bytes, and W_enc at n 4,096,
     * D 131,072 is 2 GiB.
     */
    static final long MAX_BLOCK_BYTES = 1L << 30;

    PreActivations(int n, int d, int batch, int k, Device device, int threads) throws OrtException {
        this.n = n;
        this.d = d;
        this.k = k;
        int blocks = blocks(n, d);
        this.opened =
                OrtSessions.openWithoutSpinning(
                        graph(n, d, k, blocks).toByteArray(), device, threads);
        xIn = direct(Math.multiplyExact(batch, n));
        bEncIn = direct(d);
        wEncIn = new FloatBuffer[blocks];
        for (int b = 0; b < blocks; b++) {
            int rows = blockRows(d, blocks, b);
            wEncIn[b] = direct(Math.multiplyExact(rows, n));
            fixed.put(
                    wEncName(b, blocks),
                    OnnxTensor.createTensor(env, wEncIn[b], new long[] {rows, n}));
        }
        if (k > 0) {
            fixed.put("b_enc", OnnxTensor.createTensor(env, bEncIn, new long[] {d}));
            fixed.put(K, OnnxTensor.createTensor(env, new long[] {k}));
        }
    }

    /** Blocks W_enc [D, n] is split into so that none is over {@link #MAX_BLOCK_BYTES}. */
    static int blocks(int n, int d) {
        long bytes = (long) n * d * Float.BYTES;
        return Math.toIntExact(Math.max(1, (bytes + MAX_BLOCK_BYTES - 1) / MAX_BLOCK_BYTES));
    }

    private static int blockStart(int d, int blocks, int b) {
        return (int) ((long) d * b / blocks);
    }

    private static int blockRows(int d, int blocks, int b) {
        return blockStart(d, blocks, b + 1) - blockStart(d, blocks, b);
    }

    /** The graph's inputs for {@code rows} rows, name and shape: xc, then W_enc's blocks. */
    static Map<String, long[]> inputShapes(int rows, int n, int d) {
        Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
        shapes.put(CENTRED, new long[] {rows, n});
        int blocks = blocks(n, d);
        for (int b = 0; b < blocks; b++)
            shapes.put(wEncName(b, blocks), new long[] {blockRows(d, blocks, b), n});
        return shapes;
    }

    private static String wEncName(int b, int blocks) {
        return blocks == 1 ? "W_enc" : "W_enc_" + b;
    }

    /**
     * {@code (x - b_dec) W_enc^T}: one product per block of W_enc's rows, side by side along the
     * features; with a TopK cut the bias added and each row's k-th largest value.
     */
    static OnnxMl.ModelProto graph(int n, int d, int k, int blocks) {
        Graph g = new Graph("sae_train_pre_activations", DataType.FLOAT);
        String xc = g.input(CENTRED, -1, n);
        String[] parts = new String[blocks];
        for (int b = 0; b < blocks; b++) {
            String w = g.input(wEncName(b, blocks), blockRows(d, blocks, b), n);
            parts[b] =
                    blocks == 1 && k > 0
                            ? g.op("Gemm", Map.of("transB", 1L), xc, w, g.input("b_enc", d))
                            : g.op("Gemm", Map.of("transB", 1L), xc, w);
        }
        String pre = blocks == 1 ? parts[0] : g.op("Concat", Map.of("axis", 1L), parts);
        if (k > 0 && blocks > 1) pre = g.op("Add", pre, g.input("b_enc", d));
        g.output(pre, SparseCodesOfStep.PRE, -1, d);
        if (k == 0) return g.model();
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

    /**
     * A native-order direct buffer of {@code floats} floats, as ONNX Runtime reads without a copy.
     */
    static FloatBuffer direct(int floats) {
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
        for (int b = 0; b < wEncIn.length; b++)
            wEncIn[b]
                    .clear()
                    .put(
                            wEnc,
                            blockStart(d, wEncIn.length, b) * n,
                            blockRows(d, wEncIn.length, b) * n)
                    .flip();
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
