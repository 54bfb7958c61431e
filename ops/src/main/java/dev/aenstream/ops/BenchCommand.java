package dev.aenstream.ops;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.aenstream.produce.SpikedConfig;
import dev.aenstream.produce.SpikedGenerator;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.OrtSessions;
import dev.aenstream.train.TrainConfig;
import dev.aenstream.train.Trainer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Benchmarks that report throughput as a ratio to a limit measured in the same run. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure throughput against the limits of the same run."},
        subcommands = {BenchCommand.Train.class})
final class BenchCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Time training steps (tokens/s) and, on the same shapes and threads, ONNX Runtime running only the "
                    + "step's five matrix products (two forward, three backward); ratio = train / matmul-only."})
    static final class Train implements Callable<Integer> {
        @Mixin HyperparameterOptions hyper;

        @Option(names = "--n", paramLabel = "N", defaultValue = "512", description = "Row width (default: ${DEFAULT-VALUE}).")
        int n;

        @Option(names = "--steps", paramLabel = "N", defaultValue = "6", description = "Timed steps of each kind (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--warmup-steps", paramLabel = "N", defaultValue = "2", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
        int warmupSteps;

        @Option(names = "--threads", paramLabel = "THREADS", defaultValue = "0", description = "ONNX Runtime threads; 0 lets it choose (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "auto", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE}).")
        String device;

        @Option(names = "--summary-json", paramLabel = "PATH", description = "Write the figures as JSON to this file.")
        Path summaryJson;

        @Override
        public Integer call() throws Exception {
            if (steps <= 0 || warmupSteps < 0) throw new IllegalArgumentException("--steps must be positive, --warmup-steps >= 0");
            TrainConfig config = hyper.languageModel(n);
            int batch = config.batch();
            int d = config.d();
            Device dev = Device.parse(device);
            System.out.printf("bench train: %s n=%d D=%d batch=%d, %d timed steps after %d warm-up, %d cores%n", config.arch().label(), n, d,
                    batch, steps, warmupSteps, Runtime.getRuntime().availableProcessors());

            SpikedGenerator data = new SpikedGenerator(new SpikedConfig(n, Math.max(d, 16), Math.min(16, d), 0, 0, 1));
            float[] x = new float[batch * n];
            double trainSeconds;
            String ranOn;
            try (Trainer trainer = Trainer.start("bench", config, dev, threads)) {
                ranOn = trainer.trainStep().device().label();
                for (int i = 0; i < warmupSteps; i++) {
                    data.batch(i, x, batch, null, null);
                    trainer.step(x, 0, batch);
                }
                long start = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    data.batch(warmupSteps + i, x, batch, null, null);
                    trainer.step(x, 0, batch);
                }
                trainSeconds = (System.nanoTime() - start) / 1e9;
            }
            double matmulSeconds = timeMatmuls(batch, n, d, dev);
            double train = (double) steps * batch / trainSeconds;
            double matmul = (double) steps * batch / matmulSeconds;
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("train_tokens_per_s", train);
            summary.put("matmul_only_tokens_per_s", matmul);
            summary.put("ratio", train / matmul);
            summary.put("n", n);
            summary.put("d_sae", d);
            summary.put("batch", batch);
            summary.put("arch", config.arch().label());
            summary.put("steps", steps);
            summary.put("device", ranOn);
            summary.put("cores", Runtime.getRuntime().availableProcessors());
            summary.put("matmul_gflops", 5.0 * 2 * batch * (double) n * d * steps / matmulSeconds / 1e9);
            System.out.printf("train %,.0f tokens/s, matmul-only %,.0f tokens/s (%.1f GFLOP/s), ratio %.3f%n", train, matmul,
                    summary.get("matmul_gflops"), train / matmul);
            SummaryJson.write(summaryJson, summary);
            return 0;
        }

        private double timeMatmuls(int batch, int n, int d, Device dev) throws Exception {
            OrtEnvironment env = OrtSessions.environment();
            Map<String, long[]> shapes = Map.of("xc", new long[] {batch, n}, "W_enc", new long[] {d, n}, "h", new long[] {batch, d},
                    "W_dec", new long[] {n, d}, "dxhat", new long[] {batch, n}, "dpre", new long[] {batch, d});
            Map<String, OnnxTensor> inputs = new HashMap<>();
            SplittableRandom random = new SplittableRandom(3);
            try (OrtSessions.Opened session = OrtSessions.open(MatmulOnlyGraph.build(batch, n, d).toByteArray(), dev, threads)) {
                for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                    int count = Math.toIntExact(e.getValue()[0] * e.getValue()[1]);
                    FloatBuffer buffer = ByteBuffer.allocateDirect(count * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
                    for (int i = 0; i < count; i++) buffer.put(i, (float) random.nextGaussian());
                    inputs.put(e.getKey(), OnnxTensor.createTensor(env, buffer, e.getValue()));
                }
                for (int i = 0; i < warmupSteps; i++) session.session().run(inputs).close();
                long start = System.nanoTime();
                for (int i = 0; i < steps; i++) session.session().run(inputs).close();
                return (System.nanoTime() - start) / 1e9;
            } finally {
                for (OnnxTensor t : inputs.values()) t.close();
            }
        }
    }
}
