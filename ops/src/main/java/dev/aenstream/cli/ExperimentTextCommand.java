package dev.aenstream.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.aenstream.cli.options.DeviceOption;
import dev.aenstream.cli.options.OrtThreadsOption;
import dev.aenstream.cli.options.TextOptions;
import dev.aenstream.experiment.RunStore;
import dev.aenstream.experiment.TextActivations;
import dev.aenstream.experiment.TextExperiment;
import dev.aenstream.produce.text.TextSource;
import dev.aenstream.produce.transformer.ModelSource;
import dev.aenstream.produce.transformer.Sequences;
import dev.aenstream.produce.transformer.Tokeniser;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.Penalty;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** aen experiment text: the starvation comparison on a language model's activations. */
@Command(
        name = "text",
        mixinStandardHelpOptions = true,
        description = {
            "The starvation comparison on real activations: a language model (MiniLM, bundled, or"
                + " any ONNX export with its tokenizer) reads the text, every architecture trains"
                + " on the same rows in the same order at the same --target-l0 (TopK and AuxK with"
                + " k = L0, the penalised ones with lambda1 moved towards it every 50 steps), and"
                + " each run reports the dead share over the same window (the last quarter of its"
                + " tokens), fve and L0 on held-out rows (every tenth sequence), and the model's"
                + " loss with the SAE spliced in on the held-out sequences (embedding_score for an"
                + " embedding model, ce_loss_score for a causal one; docs/evaluation.md).",
            "",
            "Runs go to OUT/runs.jsonl as they end and a run done before is not repeated; the"
                    + " report is OUT/report.md (docs/experiments.md, \"Real text\")."
        })
final class ExperimentTextCommand implements Callable<Integer> {
    @Option(
            names = "--model",
            paramLabel = "PATH|minilm",
            description =
                    "The ONNX language model: a .onnx file, an export directory with model.onnx"
                            + " and tokenizer.json, or 'minilm' (all-MiniLM-L6-v2, bundled)"
                            + " (default: ${DEFAULT-VALUE}).")
    String model = ModelSource.MINILM;

    @Mixin TextOptions text;

    @Option(
            names = "--archs",
            paramLabel = "ARCH",
            split = ",",
            description = "The architectures compared (default: all seven).")
    List<String> archs;

    @Option(
            names = "--expansion",
            paramLabel = "E",
            description =
                    "The dictionary's size over the hook's width (default: ${DEFAULT-VALUE}).")
    int expansion = 4;

    @Option(
            names = "--target-l0",
            paramLabel = "L0",
            description = "The L0 every run is matched to (default: ${DEFAULT-VALUE}).")
    double targetL0 = 32;

    @Option(
            names = "--steps",
            paramLabel = "N",
            description =
                    "Steps per run; the warm-up is a fifth of them, the ramp a tenth, the dead"
                            + " window the last quarter of the tokens (default: ${DEFAULT-VALUE}).")
    int steps = 4_000;

    @Option(
            names = "--train-batch",
            paramLabel = "ROWS",
            description = "Rows per training step (default: ${DEFAULT-VALUE}).")
    int trainBatch = 1_024;

    @Option(
            names = "--train-tokens",
            paramLabel = "TOKENS",
            description =
                    "Training rows taken from the text; the runs go over them in epochs, in one"
                            + " shuffled order (default: ${DEFAULT-VALUE}).")
    int trainTokens = 400_000;

    @Option(
            names = "--held-out-tokens",
            paramLabel = "TOKENS",
            description =
                    "Held-out rows (every tenth sequence) for fve, L0 and the splice (default:"
                            + " ${DEFAULT-VALUE}).")
    int heldOutTokens = 20_000;

    @Option(
            names = "--seed",
            paramLabel = "S",
            description =
                    "Seed of the SAEs' initialisation and of the rows' order (default:"
                            + " ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--no-normalise",
            negatable = true,
            fallbackValue = "true",
            description =
                    "Rescale each row to L2 norm sqrt(n), as docs/aen-sae.md asks for language"
                            + " models; the splice scales reconstructions back (default: on;"
                            + " --no-normalise trains on the raw rows).")
    boolean normalise = true;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "The experiment's folder (default: data/experiments/text-MODEL).")
    Path out;

    @Option(
            names = "--report-only",
            description = "Write the report from the runs at hand, training nothing.")
    boolean reportOnly;

    @Option(
            names = "--summary-json",
            paramLabel = "PATH",
            description = "Write the report's path and every run as JSON.")
    Path summaryJson;

    @Mixin DeviceOption device;
    @Mixin OrtThreadsOption ortThreads;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        text.validate();
        if (expansion < 1) throw new IllegalArgumentException("--expansion must be >= 1");
        if (trainTokens < trainBatch)
            throw new IllegalArgumentException("--train-tokens must be at least --train-batch");
        if (heldOutTokens < 1) throw new IllegalArgumentException("--held-out-tokens must be >= 1");
        List<Penalty> chosen =
                archs == null ? Penalties.ALL : archs.stream().map(Penalties::parse).toList();
        ModelSource source = text.model(model);
        String hook = text.hook(source);
        Path dir = out != null ? out : Path.of("data", "experiments", "text-" + source.name());
        RunStore store = RunStore.open(dir);
        if (!reportOnly) {
            ModelProto proto = ModelProto.parseFrom(source.model());
            TextActivations rows;
            try (Tokeniser tokeniser = text.tokeniser(source)) {
                System.out.printf(
                        "activations of %s at %s over %s: %,d training and %,d held-out tokens%n",
                        source.name(), hook, text.text, trainTokens, heldOutTokens);
                rows =
                        TextActivations.collect(
                                proto,
                                hook,
                                new Sequences(
                                        TextSource.open(text.text),
                                        tokeniser,
                                        Sequences.Mode.DOCUMENTS),
                                text.batch,
                                trainTokens,
                                heldOutTokens,
                                normalise,
                                device.device(),
                                ortThreads.ortThreads(),
                                System.out);
            }
            System.out.printf(
                    "%,d training rows, %,d held-out rows in %,d sequences, width %d%n",
                    rows.trainRows(), rows.heldOutRows(), rows.heldOutSequences().size(), rows.n());
            TextExperiment.Plan plan =
                    new TextExperiment.Plan(
                            proto,
                            source.name(),
                            hook,
                            chosen,
                            expansion * rows.n(),
                            targetL0,
                            steps,
                            trainBatch,
                            seed,
                            text.batch,
                            ortThreads.ortThreads(),
                            device.device());
            new TextExperiment(plan, rows, store).run();
        }
        List<Map<String, Object>> runs = store.runs();
        Path report = dir.resolve("report.md");
        String command =
                reportOnly
                        ? null
                        : "aen "
                                + String.join(
                                        " ", spec.commandLine().getParseResult().originalArgs());
        Files.writeString(report, TextExperiment.report(runs, command), StandardCharsets.UTF_8);
        System.out.printf("%d runs; report: %s%n", runs.size(), report.toAbsolutePath());
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("report", report.toAbsolutePath().toString());
        summary.put("runs", runs);
        SummaryJson.write(summaryJson, summary);
        return 0;
    }
}
