package dev.aenstream.cli;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.cli.options.DeviceOption;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.cli.options.ModelTrustOptions;
import dev.aenstream.cli.options.OrtThreadsOption;
import dev.aenstream.cli.options.TextOptions;
import dev.aenstream.models.ModelAssembler;
import dev.aenstream.models.ModelPull;
import dev.aenstream.produce.splice.SaeSplice;
import dev.aenstream.produce.splice.SpliceEvaluation;
import dev.aenstream.produce.splice.SplicedModel;
import dev.aenstream.produce.text.TextSource;
import dev.aenstream.produce.transformer.ModelSource;
import dev.aenstream.produce.transformer.Sequences;
import dev.aenstream.produce.transformer.TokenSequence;
import dev.aenstream.produce.transformer.Tokeniser;
import dev.aenstream.sae.importers.ImportedSae;
import dev.aenstream.sae.importers.SaeSources;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What the model loses when an SAE's reconstruction replaces the hooked tensor. */
@Command(
        name = "eval",
        description = {
            "Splice an SAE into a language model and measure what the model loses: the hooked"
                + " tensor is replaced by decode(encode(x)) on every text token, and by zeros for"
                + " the ablation baseline. Prints SAELens's figures (ce_loss_score, kl_div_score,"
                + " explained_variance, l2_ratio, relative_reconstruction_bias, cossim, l0, ...)"
                + " or, for an embedding model such as minilm, the embedding's (embedding_score);"
                + " docs/evaluation.md defines each."
        })
final class EvalCommand implements Callable<Integer> {
    /** How often progress is printed on long runs. */
    private static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "Show this help message and exit.")
    boolean help;

    @Option(
            names = "--model",
            paramLabel = "PATH|minilm",
            required = true,
            description =
                    "The ONNX language model: a .onnx file, an export directory with model.onnx"
                            + " and tokenizer.json, or 'minilm' (all-MiniLM-L6-v2, bundled).")
    String model;

    @Mixin TextOptions text;

    @Option(
            names = "--sequences",
            paramLabel = "documents|lines",
            description =
                    "What one tokenised text is: each document (file, speech, line of stdin), or"
                            + " each non-blank line, so that others can cut the text exactly the"
                            + " same way; longer texts continue in the next sequence of --seq-len"
                            + " tokens (default: ${DEFAULT-VALUE}).")
    String sequences = "documents";

    @Option(
            names = "--max-tokens",
            paramLabel = "TOKENS",
            description =
                    "Stop after the batch that reaches this many text tokens; 0 reads all the"
                            + " text (default: ${DEFAULT-VALUE}).")
    long maxTokens = 20_000;

    @Option(
            names = "--sae-file",
            paramLabel = "PATH",
            description =
                    "The SAE: our parameters or checkpoint (.safetensors), a SAELens or sparsify"
                            + " directory, or an encoder aen built (.onnx). Or --sae-id.")
    Path saeFile;

    @Option(
            names = "--sae-id",
            paramLabel = "ID",
            description = "Take the SAE off the models topic of --bootstrap-servers instead.")
    String saeId;

    @Option(
            names = "--version",
            paramLabel = "V",
            description = "The version of --sae-id (default: the newest the topic holds).")
    long version = ModelPull.NEWEST;

    @Option(
            names = "--normalise",
            description =
                    "The SAE reads rows rescaled to L2 norm sqrt(n) (an SAE of --sae-file trained"
                        + " by aen on normalised rows); its reconstruction is scaled back before it"
                        + " replaces the row. An SAE from the models topic, or an encoder aen"
                        + " built, says so itself.")
    boolean normalise;

    @Mixin KafkaOptions kafka;
    @Mixin ModelTrustOptions trust;
    @Mixin DeviceOption device;
    @Mixin OrtThreadsOption ortThreads;

    @Option(
            names = "--summary-json",
            paramLabel = "PATH",
            description = "Also write the figures, and each feature's density, as JSON.")
    Path summaryJson;

    @Override
    public Integer call() throws Exception {
        text.validate();
        if ((saeFile == null) == (saeId == null))
            throw new IllegalArgumentException(
                    "give the SAE once: --sae-file PATH, or --sae-id ID (with"
                            + " --bootstrap-servers)");
        if (maxTokens < 0)
            throw new IllegalArgumentException("--max-tokens must be 0 or more, got " + maxTokens);
        Sequences.Mode mode = mode(sequences);
        ModelSource source = text.model(model);
        String hook = text.hook(source);
        SaeSources.EncoderModel sae = loadSae();
        System.out.printf(
                "model %s, hook %s; SAE %s (n=%d, D=%d%s)%n",
                source.name(),
                hook,
                sae.origin(),
                sae.n(),
                sae.d(),
                sae.normalise() ? ", rows normalised to sqrt(n)" : "");
        try (Tokeniser tokeniser = text.tokeniser(source);
                SplicedModel spliced =
                        SplicedModel.open(
                                OnnxMl.ModelProto.parseFrom(source.model()),
                                hook,
                                device.device(),
                                ortThreads.ortThreads());
                SaeEncoder encoder =
                        SaeEncoder.open(
                                sae.model(),
                                sae.n(),
                                sae.d(),
                                sae.kMax(),
                                device.device(),
                                ortThreads.ortThreads())) {
            SpliceEvaluation evaluation =
                    new SpliceEvaluation(
                            spliced, new SaeSplice(encoder, sae.decoder(), sae.normalise()));
            run(evaluation, new Sequences(TextSource.open(text.text), tokeniser, mode));
            if (evaluation.tokens() == 0)
                throw new IllegalArgumentException(
                        "the text gave no text tokens to evaluate: " + text.text);
            Map<String, Double> figures = evaluation.figures();
            System.out.printf(
                    "%n%s on %,d sequences, %,d tokens (%s)%n",
                    spliced.head() == SplicedModel.Head.LOGITS
                            ? "language model"
                            : "embedding model",
                    evaluation.sequences(),
                    evaluation.tokens(),
                    text.text);
            figures.forEach((name, value) -> System.out.printf("  %-30s %12.6f%n", name, value));
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("model", source.name());
            summary.put("hook", hook);
            summary.put("head", spliced.head().name().toLowerCase(java.util.Locale.ROOT));
            summary.put("sae", sae.origin());
            summary.put("n", sae.n());
            summary.put("d_sae", sae.d());
            summary.put("normalised", sae.normalise());
            summary.put("text", text.text);
            summary.put("sequences_mode", mode.name().toLowerCase(java.util.Locale.ROOT));
            summary.put("sequences", evaluation.sequences());
            summary.put("tokens", evaluation.tokens());
            summary.put("figures", figures);
            summary.put("feature_density", evaluation.featureDensity());
            SummaryJson.write(summaryJson, summary);
        }
        return 0;
    }

    private void run(SpliceEvaluation evaluation, Iterator<TokenSequence> all) throws Exception {
        long lastProgress = System.nanoTime();
        List<TokenSequence> batch = new ArrayList<>(text.batch);
        while (all.hasNext() && (maxTokens == 0 || evaluation.tokens() < maxTokens)) {
            batch.add(all.next());
            if (batch.size() < text.batch && all.hasNext()) continue;
            evaluation.add(batch);
            batch = new ArrayList<>(text.batch);
            if (System.nanoTime() - lastProgress > PROGRESS_EVERY_NANOS) {
                lastProgress = System.nanoTime();
                System.out.printf(
                        "eval: %,d sequences, %,d tokens%s%n",
                        evaluation.sequences(),
                        evaluation.tokens(),
                        maxTokens == 0 ? "" : String.format(" of %,d", maxTokens));
            }
        }
    }

    private static Sequences.Mode mode(String given) {
        for (Sequences.Mode m : Sequences.Mode.values())
            if (m.name().equalsIgnoreCase(given)) return m;
        throw new IllegalArgumentException(
                "--sequences must be documents or lines, got '" + given + "'");
    }

    private SaeSources.EncoderModel loadSae() throws Exception {
        if (saeFile != null) {
            // No top-k cut beyond the SAE's own: the figures are the SAE's, not a serving choice.
            return SaeSources.load(saeFile, Integer.MAX_VALUE, normalise);
        }
        if (kafka.bootstrapServers == null)
            throw new IllegalArgumentException(
                    "--sae-id reads the models topic of a cluster: give --bootstrap-servers");
        try (KafkaTarget target = KafkaTarget.open(kafka);
                ModelAssembler assembler = new ModelAssembler()) {
            ModelAssembler.Assembled a =
                    ModelPull.pull(
                            target.connection(),
                            target.topics().models(),
                            saeId,
                            version,
                            assembler,
                            trust.trust());
            try {
                ImportedSae sae = ModelsCommand.Pull.imported(a);
                return SaeSources.fromImported(sae, sae.spec());
            } finally {
                a.delete();
            }
        }
    }
}
