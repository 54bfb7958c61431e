package dev.aenstream.cli;

import dev.aenstream.bench.MatmulOnlyGraph;
import dev.aenstream.bench.StepRates;
import dev.aenstream.bench.TrainingRate;
import dev.aenstream.cli.options.DeviceOption;
import dev.aenstream.cli.options.HyperparameterOptions;
import dev.aenstream.cli.options.OrtThreadsOption;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.train.SparseStep;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.Trainer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `aen bench train`. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Time training steps (tokens/s) and, on the same shapes and threads, ONNX Runtime"
                    + " running only the step's five matrix products (two forward, three backward);"
                    + " ratio = train / matmul-only.",
            "Then time the dense graph and the sparse step on one state whose encoder biases"
                    + " make each feature fire on --l0 / D of the rows (a trained SAE's density;"
                    + " TopK's k sets its own), against the encoder's product alone, the one dense"
                    + " product the sparse step keeps: speedup = sparse / dense, sparse_ratio ="
                    + " sparse / encoder product."
        })
final class BenchTrainCommand implements Callable<Integer> {
    @Mixin HyperparameterOptions hyper;

    @Option(names = "--n", paramLabel = "N", description = "Row width (default: ${DEFAULT-VALUE}).")
    int n = 512;

    @Option(
            names = "--steps",
            paramLabel = "N",
            description = "Timed steps of each kind (default: ${DEFAULT-VALUE}).")
    int steps = 6;

    @Option(
            names = "--warmup-steps",
            paramLabel = "N",
            description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    int warmupSteps = 2;

    @Option(
            names = "--l0",
            paramLabel = "L0",
            description =
                    "Active features per row the two paths are timed at (default:"
                            + " ${DEFAULT-VALUE}).")
    double l0 = 32;

    @Option(
            names = "--sparse-only",
            description =
                    "Time only the sparse step and the encoder's product, for shapes whose dense"
                            + " graph does not fit in memory (it holds every [batch, D] and [D, n]"
                            + " tensor of the step twice).")
    boolean sparseOnly;

    @Mixin OrtThreadsOption ortThreads;

    @Mixin DeviceOption device;

    @Option(
            names = "--summary-json",
            paramLabel = "PATH",
            description = "Write the figures as JSON to this file.")
    Path summaryJson;

    @Override
    public Integer call() throws Exception {
        if (steps <= 0 || warmupSteps < 0)
            throw new IllegalArgumentException("--steps must be positive, --warmup-steps >= 0");
        TrainConfig config = hyper.languageModel(n);
        int batch = config.get(TrainConfig.BATCH);
        int d = config.d();
        Device dev = device.device();
        System.out.printf(
                "bench train: %s n=%d D=%d batch=%d, %d timed steps after %d warm-up, %d"
                        + " cores%n",
                config.penalty().label(),
                n,
                d,
                batch,
                steps,
                warmupSteps,
                Runtime.getRuntime().availableProcessors());

        if (sparseOnly && !SparseStep.serves(config))
            throw new IllegalArgumentException(
                    "--sparse-only: " + config.penalty().description() + " has no sparse step");
        double train = Double.NaN;
        double matmul = Double.NaN;
        String ranOn = dev.label();
        if (!sparseOnly) {
            try (Trainer trainer = Trainer.start("bench", config, dev, ortThreads.ortThreads())) {
                ranOn = trainer.trainStep().device().label();
                train = TrainingRate.measure(trainer, n, d, batch, warmupSteps, steps, 0);
            }
            matmul =
                    MatmulOnlyGraph.trainStepRate(
                            batch, n, d, dev, ortThreads.ortThreads(), 0, warmupSteps, steps);
        }
        StepRates.Figures paths =
                SparseStep.serves(config)
                        ? StepRates.measure(
                                config,
                                dev,
                                ortThreads.ortThreads(),
                                l0,
                                warmupSteps,
                                steps,
                                !sparseOnly)
                        : null;
        double product =
                MatmulOnlyGraph.encoderRate(
                        batch, n, d, dev, ortThreads.ortThreads(), 0, warmupSteps, steps);
        Map<String, Object> summary = new LinkedHashMap<>();
        if (!sparseOnly) {
            summary.put("train_tokens_per_s", train);
            summary.put("matmul_only_tokens_per_s", matmul);
            summary.put("ratio", train / matmul);
        }
        summary.put("encoder_product_tokens_per_s", product);
        if (paths != null) {
            if (!sparseOnly) summary.put("dense_tokens_per_s", paths.dense());
            summary.put("sparse_tokens_per_s", paths.sparse());
            if (!sparseOnly) summary.put("speedup", paths.sparse() / paths.dense());
            summary.put("sparse_ratio", paths.sparse() / product);
            summary.put("timed_l0", paths.l0());
        }
        summary.put("n", n);
        summary.put("d_sae", d);
        summary.put("batch", batch);
        summary.put("arch", config.penalty().label());
        summary.put("steps", steps);
        summary.put("device", ranOn);
        summary.put("cores", Runtime.getRuntime().availableProcessors());
        summary.put("sparse_only", sparseOnly);
        if (!sparseOnly) {
            summary.put("matmul_gflops", 5.0 * 2 * (double) n * d * matmul / 1e9);
            System.out.printf(
                    "train %,.0f tokens/s, matmul-only %,.0f tokens/s (%.1f GFLOP/s), ratio"
                            + " %.3f%n",
                    train, matmul, summary.get("matmul_gflops"), train / matmul);
        }
        if (paths != null && sparseOnly)
            System.out.printf(
                    "at L0 %.1f: sparse %,.0f tokens/s; encoder product alone %,.0f tokens/s"
                            + " (sparse_ratio %.3f)%n",
                    paths.l0(), paths.sparse(), product, paths.sparse() / product);
        else if (paths != null)
            System.out.printf(
                    "at L0 %.1f: dense %,.0f tokens/s, sparse %,.0f tokens/s (speedup %.2f);"
                            + " encoder product alone %,.0f tokens/s (sparse_ratio %.3f)%n",
                    paths.l0(),
                    paths.dense(),
                    paths.sparse(),
                    paths.sparse() / paths.dense(),
                    product,
                    paths.sparse() / product);
        else
            System.out.printf(
                    "%s has no sparse step; encoder product alone %,.0f tokens/s%n",
                    config.penalty().description(), product);
        SummaryJson.write(summaryJson, summary);
        return 0;
    }
}
