package dev.aenstream.sae.train;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.OrtSessions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The sparse training step's kernels ({@link SparseStep.Kernel}), each timed alone on a state at a
 * fixed density, beside the two limits of the same run: ONNX Runtime's bare encoder product on the
 * same shape (the FLOP limit of the one dense kernel, and of the whole step) and a multi-threaded
 * stream triad (the memory limit of the others). {@link #main} runs them with JMH and prints each
 * kernel's ratio to its limit (docs/benchmarks.md):
 *
 * <pre>./mvnw -q -pl onnx-models test-compile exec:exec@jmh [-Djmh.args="-p l0=16 -f 1"]</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx8g"})
public class SparseKernelsBenchmark {
    /** Floats per array of the triad: 64 MiB each, far beyond the caches. */
    static final int TRIAD_FLOATS = 16 << 20;

    @Param("512")
    public int n;

    @Param("4096")
    public int d;

    @Param("4096")
    public int batch;

    @Param("32")
    public double l0;

    /** Threads of the kernels and of the limits; 0: every core. */
    @Param("0")
    public int threads;

    private float[] x;
    private SparseStep step;
    private OrtSessions.Opened matmul;
    private final Map<String, OnnxTensor> matmulInputs = new LinkedHashMap<>();
    private float[] triadA, triadB, triadC;

    @Setup(Level.Trial)
    public void open() throws Exception {
        TrainConfig config =
                TrainConfig.synthetic(Penalties.AEN, n, d).with(TrainConfig.BATCH, batch);
        SplittableRandom random = new SplittableRandom(7);
        x = new float[batch * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        TrainState state = TrainState.initial(n, d, 7).atDensity(x, batch, l0);
        step = SparseStep.open(config, state, Device.CPU, threads);
        step.run(x, 0, batch);

        OrtEnvironment env = OrtSessions.environment();
        matmul =
                OrtSessions.open(
                        EncoderProduct.graph(n, d).toByteArray(),
                        Device.CPU,
                        step.threads().count());
        matmulInputs.put("xc", OnnxTensor.createTensor(env, direct(x), new long[] {batch, n}));
        matmulInputs.put(
                "W_enc",
                OnnxTensor.createTensor(env, direct(state.params().wEnc()), new long[] {d, n}));

        triadA = new float[TRIAD_FLOATS];
        triadB = new float[TRIAD_FLOATS];
        triadC = new float[TRIAD_FLOATS];
        for (int i = 0; i < TRIAD_FLOATS; i++) {
            triadB[i] = i;
            triadC[i] = -i;
        }
    }

    private static FloatBuffer direct(float[] values) {
        FloatBuffer b =
                ByteBuffer.allocateDirect(values.length * 4)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        b.put(values).flip();
        return b;
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        for (OnnxTensor t : matmulInputs.values()) t.close();
        matmul.close();
        step.close();
    }

    /** Active entries of the codes the kernels work on. */
    int entries() {
        return step.entries();
    }

    @Benchmark
    public void preActivations() throws Exception {
        step.kernel(SparseStep.Kernel.PRE_ACTIVATIONS, x, batch);
    }

    @Benchmark
    public void reconstruct() throws Exception {
        step.kernel(SparseStep.Kernel.RECONSTRUCT, x, batch);
    }

    @Benchmark
    public void featureGradients() throws Exception {
        step.kernel(SparseStep.Kernel.FEATURE_GRADIENTS, x, batch);
    }

    @Benchmark
    public void adam() throws Exception {
        step.kernel(SparseStep.Kernel.ADAM, x, batch);
    }

    /** The whole step (its density drifts little over a benchmark's few hundred steps). */
    @Benchmark
    public StepResult wholeStep() throws Exception {
        return step.run(x, 0, batch);
    }

    /** The FLOP limit: ONNX Runtime's bare product of x [batch, n] and W_enc^T. */
    @Benchmark
    public void limitEncoderMatmul() throws Exception {
        matmul.session().run(matmulInputs).close();
    }

    /** The memory limit: a = b + s c over three arrays of 64 MiB, on the kernels' threads. */
    @Benchmark
    public void limitTriad() {
        step.threads()
                .forRange(
                        0,
                        TRIAD_FLOATS,
                        (from, to) -> {
                            for (int i = from; i < to; i++)
                                triadA[i] = triadB[i] + 0.5f * triadC[i];
                        });
    }

    /**
     * Bytes each memory-bound kernel moves at least, with {@code entries} active codes: what its
     * ratio to the triad's bandwidth is counted in.
     */
    static Map<String, Double> bytesMoved(int n, int d, int batch, double entries) {
        double f = Float.BYTES;
        Map<String, Double> bytes = new LinkedHashMap<>();
        // Each active atom read twice (the sum, the dot), x read, e and dxhat written.
        bytes.put("reconstruct", entries * n * f * 2 + (double) batch * n * f * 3);
        // Each active entry's rows of xc and dxhat read; dW_enc and dW_dec written.
        bytes.put("featureGradients", entries * n * f * 2 + (double) d * n * f * 2);
        // W_enc and the atoms: parameter, m and v read and written, the gradient read.
        bytes.put("adam", 2.0 * d * n * f * 7);
        return bytes;
    }

    /** Runs the benchmarks (JMH options as arguments) and prints each kernel against its limit. */
    public static void main(String[] args) throws Exception {
        Collection<RunResult> results =
                new Runner(
                                new OptionsBuilder()
                                        .parent(new CommandLineOptions(args))
                                        .include(SparseKernelsBenchmark.class.getName() + "\\.")
                                        .build())
                        .run();
        Map<String, List<RunResult>> byShape = new LinkedHashMap<>();
        for (RunResult r : results) {
            var p = r.getParams();
            String shape =
                    "n="
                            + p.getParam("n")
                            + " D="
                            + p.getParam("d")
                            + " batch="
                            + p.getParam("batch")
                            + " l0="
                            + p.getParam("l0")
                            + " threads="
                            + p.getParam("threads");
            byShape.computeIfAbsent(shape, s -> new ArrayList<>()).add(r);
        }
        for (var e : byShape.entrySet()) {
            Map<String, Double> ms = new LinkedHashMap<>();
            for (RunResult r : e.getValue()) {
                String name = r.getParams().getBenchmark();
                ms.put(name.substring(name.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
            }
            var p = e.getValue().get(0).getParams();
            int n = Integer.parseInt(p.getParam("n"));
            int d = Integer.parseInt(p.getParam("d"));
            int batch = Integer.parseInt(p.getParam("batch"));
            double entries = batch * Double.parseDouble(p.getParam("l0"));
            System.out.println();
            System.out.println(e.getKey());
            double triadGbs = 3.0 * TRIAD_FLOATS * Float.BYTES / (ms.get("limitTriad") / 1e3) / 1e9;
            double matmulMs = ms.get("limitEncoderMatmul");
            System.out.printf(
                    "  limits: encoder matmul %.2f ms (%.1f GFLOP/s), triad %.1f GB/s%n",
                    matmulMs, 2.0 * batch * n * d / (matmulMs / 1e3) / 1e9, triadGbs);
            System.out.printf(
                    "  %-18s %9.2f ms  ratio to the encoder matmul %.2f%n",
                    "preActivations",
                    ms.get("preActivations"),
                    matmulMs / ms.get("preActivations"));
            for (var b : bytesMoved(n, d, batch, entries).entrySet()) {
                double gbs = b.getValue() / (ms.get(b.getKey()) / 1e3) / 1e9;
                System.out.printf(
                        "  %-18s %9.2f ms  %6.1f GB/s  ratio to the triad %.2f%n",
                        b.getKey(), ms.get(b.getKey()), gbs, gbs / triadGbs);
            }
            System.out.printf(
                    "  %-18s %9.2f ms  ratio to the encoder matmul %.2f (sparse_ratio)%n",
                    "wholeStep", ms.get("wholeStep"), matmulMs / ms.get("wholeStep"));
        }
    }
}
