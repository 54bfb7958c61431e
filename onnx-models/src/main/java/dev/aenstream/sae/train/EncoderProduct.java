package dev.aenstream.sae.train;

import ai.onnx.proto.OnnxMl;
import java.util.Map;

/**
 * The sparse step's one dense product alone, as the step runs it (W_enc in blocks where it is over
 * 1 GiB): the limit the step's rate is measured against.
 */
public final class EncoderProduct {
    private EncoderProduct() {}

    /** The graph: xc [rows, n] times W_enc^T, its inputs named and shaped by {@link #inputs}. */
    public static OnnxMl.ModelProto graph(int n, int d) {
        return PreActivations.graph(n, d, 0, PreActivations.blocks(n, d));
    }

    /** The graph's inputs for {@code rows} rows: name and shape. */
    public static Map<String, long[]> inputs(int rows, int n, int d) {
        return PreActivations.inputShapes(rows, n, d);
    }
}
