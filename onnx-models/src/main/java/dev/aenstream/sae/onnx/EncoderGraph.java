package dev.aenstream.sae.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.aenstream.sae.SaeParameters;
import java.util.Map;

/**
 * Builds the SAE encoder as an ONNX graph: {@code h = ReLU(W_enc (x - b_dec) + b_enc)}, then the
 * {@code kMax} largest entries of each row, so only sparse codes leave the device.
 *
 * <p>Input {@value #INPUT} [rows, n] float. Outputs {@value #VALUES} [rows, kMax] float (descending,
 * zeros where fewer features fired), {@value #INDICES} [rows, kMax] int64, {@value #ACTIVE_COUNTS}
 * [rows] float (features with h > 0 before the cut) and {@value #SCALES} [rows, 1] float (the factor
 * each row was multiplied by; 1 without normalisation).
 */
public final class EncoderGraph {
    public static final String INPUT = "x";
    public static final String VALUES = "values";
    public static final String INDICES = "indices";
    public static final String ACTIVE_COUNTS = "active_counts";
    public static final String SCALES = "scales";
    private static final double NORM_FLOOR = 1e-12;

    private EncoderGraph() {}

    public static OnnxMl.ModelProto build(SaeParameters p, EncoderSpec spec, String graphName) {
        int n = p.n();
        int d = p.d();
        int k = Math.min(spec.kMax(), d);
        Graph g = new Graph(graphName, DataType.FLOAT);
        String x = g.input(INPUT, -1, n);

        String scales;
        String input = x;
        if (spec.normalise()) {
            String norm = g.op("Max", g.sqrt(g.sumSquares(x, true, 1)), g.scalar(NORM_FLOOR));
            scales = g.div(g.scalar(Math.sqrt(n)), norm);
            input = g.mul(x, scales);
        } else {
            // 0 * max(x) + 1 has the rows dimension without a shape computation.
            scales = g.add(g.mul(g.op("ReduceMax", Map.of("axes", new long[] {1}, "keepdims", 1L), x), g.scalar(0)), g.scalar(1));
        }
        String wEnc = g.floats("W_enc", p.wEnc(), d, n);
        String bEnc = g.floats("b_enc", p.bEnc(), d);
        String bDec = g.floats("b_dec", p.bDec(), n);
        String pre = g.op("Gemm", Map.of("transB", 1L), g.sub(input, bDec), wEnc, bEnc);
        String h = g.op("Relu", pre);
        String[] top = g.ops(2, "TopK", Map.of("axis", -1L, "largest", 1L, "sorted", 1L), h, g.longs(k));
        String active = g.sum(g.toReal(g.op("Greater", h, g.scalar(0))), false, 1);

        g.output(top[0], VALUES, -1, k);
        g.output(top[1], INDICES, DataType.INT64, -1, k);
        g.output(active, ACTIVE_COUNTS, -1);
        g.output(scales, SCALES, -1, 1);
        return g.model();
    }
}
