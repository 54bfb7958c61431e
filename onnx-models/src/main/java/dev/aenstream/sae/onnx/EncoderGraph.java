package dev.aenstream.sae.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.aenstream.sae.SaeParameters;
import java.util.List;
import java.util.Map;
import org.tribuo.util.onnx.ONNXContext;
import org.tribuo.util.onnx.ONNXInitializer;
import org.tribuo.util.onnx.ONNXNode;
import org.tribuo.util.onnx.ONNXOperators;
import org.tribuo.util.onnx.ONNXPlaceholder;
import org.tribuo.util.onnx.ONNXRef;

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
    /** ONNX IR version written; ORT 1.24 and onnx's checker accept it with opset 13. */
    static final int IR_VERSION = 8;
    private static final float NORM_FLOOR = 1e-12f;

    private EncoderGraph() {}

    public static OnnxMl.ModelProto build(SaeParameters p, EncoderSpec spec, String graphName) {
        int n = p.n();
        int d = p.d();
        int k = Math.min(spec.kMax(), d);
        ONNXContext ctx = new ONNXContext();
        ctx.setName(graphName);
        ONNXPlaceholder x = ctx.floatInput(INPUT, n);

        ONNXRef<?> scales;
        ONNXRef<?> input = x;
        if (spec.normalise()) {
            ONNXNode sumSq = x.apply(Op.REDUCE_SUM_SQUARE, Map.of("axes", new int[] {1}, "keepdims", 1));
            ONNXNode norm = sumSq.apply(Op.SQRT).apply(Op.MAX, ctx.constant("norm_floor", NORM_FLOOR));
            scales = ctx.constant("sqrt_n", (float) Math.sqrt(n)).apply(ONNXOperators.DIV, norm);
            input = x.apply(ONNXOperators.MUL, scales);
        } else {
            // (x - x) + 1 keeps the rows dimension without a shape computation.
            scales = x.apply(Op.REDUCE_MAX, Map.of("axes", new int[] {1}, "keepdims", 1))
                    .apply(ONNXOperators.MUL, ctx.constant("zero", 0f))
                    .apply(ONNXOperators.ADD, ctx.constant("one", 1f));
        }

        ONNXInitializer wEnc = ctx.floatTensor("W_enc", List.of(d, n), b -> b.put(p.wEnc()));
        ONNXInitializer bEnc = ctx.floatTensor("b_enc", List.of(d), b -> b.put(p.bEnc()));
        ONNXInitializer bDec = ctx.floatTensor("b_dec", List.of(n), b -> b.put(p.bDec()));
        ONNXNode centred = input.apply(ONNXOperators.SUB, bDec);
        ONNXNode pre = ctx.operation(ONNXOperators.GEMM, List.of(centred, wEnc, bEnc), "pre_acts", Map.of("transB", 1));
        ONNXNode h = pre.apply(Op.RELU, "h");

        List<ONNXNode> top = ctx.operation(Op.TOPK, List.of(h, ctx.array("k", new long[] {k})), List.of("top_values", "top_indices"),
                Map.of("axis", -1, "largest", 1, "sorted", 1));
        ONNXNode active = h.apply(ONNXOperators.GREATER, ctx.constant("zero_h", 0f))
                .cast(float.class)
                .apply(Op.REDUCE_SUM, ctx.array("axes", new long[] {1}), Map.of("keepdims", 0));

        ctx.assignTo(top.get(0), ctx.floatOutput(VALUES, k));
        ctx.assignTo(top.get(1), ctx.floatOutput(INDICES, k));
        ctx.assignTo(active, ctx.floatOutput(ACTIVE_COUNTS, 1));
        ctx.assignTo(scales, ctx.floatOutput(SCALES, 1));

        OnnxMl.GraphProto graph = retypeOutputs(ctx.buildGraph(), k);
        return OnnxMl.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("aen-stream")
                .setDomain("dev.aenstream")
                .setModelVersion(1)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(Op.OPSET))
                .setGraph(graph)
                .build();
    }

    /** Tribuo declares every output as a float matrix; give indices and counts their real types and ranks. */
    private static OnnxMl.GraphProto retypeOutputs(OnnxMl.GraphProto graph, int k) {
        OnnxMl.GraphProto.Builder b = graph.toBuilder().clearOutput();
        b.addOutput(valueInfo(VALUES, DataType.FLOAT, k));
        b.addOutput(valueInfo(INDICES, DataType.INT64, k));
        b.addOutput(valueInfo(ACTIVE_COUNTS, DataType.FLOAT));
        b.addOutput(valueInfo(SCALES, DataType.FLOAT, 1));
        return b.build();
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, DataType type, long... trailingDims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder()
                .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        for (long dim : trailingDims) shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(dim));
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(type.getNumber()).setShape(shape)))
                .build();
    }
}
