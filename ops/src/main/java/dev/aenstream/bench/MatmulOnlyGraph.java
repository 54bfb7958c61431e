package dev.aenstream.bench;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import dev.aenstream.sae.onnx.Graph;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.OrtSessions;
import dev.aenstream.sae.train.EncoderProduct;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Bare matrix products on the shapes of our graphs, the limits throughputs are measured against:
 * the five large products of one training step, and the encoder's one.
 */
public final class MatmulOnlyGraph {
    private MatmulOnlyGraph() {}

    /** x [rows, n] times W_enc^T: the encoder's product and nothing else. */
    public static OnnxMl.ModelProto encoder(int rows, int n, int d) {
        Graph g = new Graph("encode_matmul_only", DataType.FLOAT);
        String x = g.input("x", rows, n);
        String wEnc = g.input("W_enc", d, n);
        g.output(g.op("Gemm", Map.of("transB", 1L), x, wEnc), "pre", rows, d);
        return g.model();
    }

    /**
     * Rows per second of the training step's five products alone, over at least {@code seconds} and
     * {@code minCalls} calls after {@code warmupCalls} untimed ones, on random inputs.
     */
    public static double trainStepRate(
            int batch,
            int n,
            int d,
            Device device,
            int threads,
            double seconds,
            int warmupCalls,
            int minCalls)
            throws Exception {
        Map<String, long[]> shapes =
                Map.of(
                        "xc",
                        new long[] {batch, n},
                        "W_enc",
                        new long[] {d, n},
                        "h",
                        new long[] {batch, d},
                        "W_dec",
                        new long[] {n, d},
                        "dxhat",
                        new long[] {batch, n},
                        "dpre",
                        new long[] {batch, d});
        return rate(
                build(batch, n, d), shapes, batch, device, threads, seconds, warmupCalls, minCalls);
    }

    /**
     * Rows per second of the encoder's product alone on a batch of {@code batch} rows: the one
     * dense product a sparse training step keeps, so its limit.
     */
    public static double encoderRate(
            int batch,
            int n,
            int d,
            Device device,
            int threads,
            double seconds,
            int warmupCalls,
            int minCalls)
            throws Exception {
        // As the sparse step runs it: W_enc over 1 GiB (n 4,096, D 131,072) in blocks.
        return rate(
                EncoderProduct.graph(n, d),
                EncoderProduct.inputs(batch, n, d),
                batch,
                device,
                threads,
                seconds,
                warmupCalls,
                minCalls);
    }

    private static double rate(
            OnnxMl.ModelProto model,
            Map<String, long[]> shapes,
            int batch,
            Device device,
            int threads,
            double seconds,
            int warmupCalls,
            int minCalls)
            throws Exception {
        OrtEnvironment env = OrtSessions.environment();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        SplittableRandom random = new SplittableRandom(3);
        try (OrtSessions.Opened session = OrtSessions.open(model.toByteArray(), device, threads)) {
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                int count = Math.toIntExact(e.getValue()[0] * e.getValue()[1]);
                FloatBuffer buffer =
                        ByteBuffer.allocateDirect(count * 4)
                                .order(ByteOrder.nativeOrder())
                                .asFloatBuffer();
                for (int i = 0; i < count; i++) buffer.put(i, (float) random.nextGaussian());
                inputs.put(e.getKey(), OnnxTensor.createTensor(env, buffer, e.getValue()));
            }
            for (int i = 0; i < warmupCalls; i++) session.session().run(inputs).close();
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long calls = 0;
            while (calls < minCalls || System.nanoTime() < end) {
                session.session().run(inputs).close();
                calls++;
            }
            return calls * (double) batch / ((System.nanoTime() - start) / 1e9);
        } finally {
            for (OnnxTensor t : inputs.values()) t.close();
        }
    }

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
