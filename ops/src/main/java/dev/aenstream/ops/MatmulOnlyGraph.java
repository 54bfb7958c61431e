package dev.aenstream.ops;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.aenstream.sae.onnx.Graph;
import java.util.Map;

/**
 * The five large matrix products of one training step and nothing else, on the same shapes: the
 * limit a training step's throughput is measured against.
 */
final class MatmulOnlyGraph {
    private MatmulOnlyGraph() {}

    static OnnxMl.ModelProto build(int batch, int n, int d) {
        Graph g = new Graph("matmul_only", DataType.FLOAT);
        String xc = g.input("xc", batch, n);
        String wEnc = g.input("W_enc", d, n);
        String h = g.input("h", batch, d);
        String wDec = g.input("W_dec", n, d);
        String dXhat = g.input("dxhat", batch, n);
        String dPre = g.input("dpre", batch, d);
        g.output(g.op("Gemm", Map.of("transB", 1L), xc, wEnc), "pre", batch, d);
        g.output(g.op("Gemm", Map.of("transB", 1L), h, wDec), "xhat", batch, n);
        g.output(g.op("Gemm", Map.of("transA", 1L), dXhat, h), "grad_W_dec", n, d);
        g.output(g.op("MatMul", dXhat, wDec), "dh", batch, d);
        g.output(g.op("Gemm", Map.of("transA", 1L), dPre, xc), "grad_W_enc", d, n);
        return g.model();
    }
}
