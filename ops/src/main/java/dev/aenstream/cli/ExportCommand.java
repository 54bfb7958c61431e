package dev.aenstream.cli;

import dev.aenstream.cli.options.KMaxOption;
import dev.aenstream.sae.importers.ImportedSae;
import dev.aenstream.sae.importers.SaeExporters;
import dev.aenstream.sae.importers.SaeSources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Writes an SAE as an ONNX encoder, or in SAELens' or sparsify's layout. */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description = {
            "Write an SAE from a checkpoint or parameters (.safetensors), a SAELens or sparsify"
                + " directory, or an encoder exported from PyTorch (.onnx): as an ONNX encoder"
                + " (--format onnx: input x [rows, n]; outputs values and indices [rows, k_max],"
                + " active_counts [rows], scales [rows, 1]), or in SAELens' layout (--format"
                + " saelens: cfg.json and sae_weights.safetensors) or sparsify's (--format"
                + " sparsify: cfg.json and sae.safetensors, TopK SAEs only), which those tools and"
                + " aen's --sae-file read back."
        })
final class ExportCommand implements Callable<Integer> {
    @Option(
            names = "--from",
            paramLabel = "PATH",
            required = true,
            description = "The SAE: .safetensors, a SAELens/sparsify directory or .onnx.")
    Path from;

    @Option(
            names = "--out",
            paramLabel = "FILE|DIR",
            required = true,
            description =
                    "Where to write: the encoder .onnx, whose weights of 1 MiB or more go to"
                            + " FILE.data beside it (ONNX external data); for saelens and"
                            + " sparsify, the directory.")
    Path out;

    /** The layouts an SAE can be written in. */
    enum Format {
        onnx,
        saelens,
        sparsify
    }

    @Option(
            names = "--format",
            paramLabel = "FORMAT",
            description = "onnx, saelens or sparsify (default: ${DEFAULT-VALUE}).")
    Format format = Format.onnx;

    @Option(
            names = "--model-name",
            paramLabel = "NAME",
            description =
                    "The model whose activations the SAE reads, for SAELens' cfg.json (default:"
                            + " what the source's cfg.json says).")
    String modelName;

    @Option(
            names = "--hook-name",
            paramLabel = "HOOK",
            description =
                    "The hook point it reads (e.g. blocks.16.hook_resid_post), for SAELens'"
                            + " cfg.json (default: what the source says).")
    String hookName;

    @Mixin KMaxOption kMax;

    @Mixin dev.aenstream.cli.options.WeightsOption weights;

    @Option(
            names = "--normalise",
            description = "Rescale every row to L2 norm sqrt(n) inside the graph.")
    boolean normalise;

    @Override
    public Integer call() throws Exception {
        if (format != Format.onnx) return writeLayout();
        SaeSources.EncoderModel model =
                SaeSources.load(from, kMax.kMax(), normalise, weights.weights());
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        model.model().writeFiles(out);
        System.out.printf(
                "wrote %s%s: n=%d, D=%d, k_max=%d, %,d bytes (%s)%n",
                out,
                model.model().selfContained() ? "" : " and its external data " + out + ".data",
                model.n(),
                model.d(),
                model.kMax(),
                model.model().sizeBytes(),
                model.origin());
        return 0;
    }

    /** Writes the SAE's parameters in SAELens' or sparsify's layout. */
    private Integer writeLayout() throws Exception {
        if (normalise)
            throw new IllegalArgumentException(
                    "--normalise is not part of "
                            + format
                            + "'s layout: rescale rows to norm sqrt(n) before they reach it");
        if (weights.weights() != dev.aenstream.sae.onnx.WeightPrecision.FLOAT32)
            throw new IllegalArgumentException(
                    "--weights applies to ONNX encoders; " + format + " is written in float32");
        writeLayout(SaeSources.imported(from, kMax.kMax()), format, out, modelName, hookName);
        return 0;
    }

    /**
     * Writes {@code sae} in SAELens' or sparsify's layout to {@code out}; the model and hook names
     * (SAELens') default to what the SAE's source said.
     */
    static void writeLayout(
            ImportedSae sae, Format format, Path out, String modelName, String hookName)
            throws java.io.IOException {
        if (sae.spec().normalise())
            throw new IllegalArgumentException(
                    sae.source()
                            + " rescales rows to norm sqrt(n) inside its encoder, which "
                            + format
                            + "'s layout cannot say; write it as onnx");
        if (format == Format.saelens) {
            String model = modelName != null ? modelName : sae.modelName();
            String hook = hookName != null ? hookName : sae.hookName();
            if (model == null || hook == null)
                throw new IllegalArgumentException(
                        sae.source()
                                + " does not say which model and hook point it reads: give"
                                + " --model-name and --hook-name, which SAELens needs to run it");
            SaeExporters.saeLens(sae, out, model, hook);
        } else {
            SaeExporters.sparsify(sae, out);
        }
        System.out.printf(
                "wrote %s in the %s layout: n=%d, D=%d%s (%s)%n",
                out,
                format,
                sae.params().n(),
                sae.params().d(),
                sae.spec().topK()
                        ? ", TopK k=" + sae.spec().kMax()
                        : sae.threshold() != null ? ", JumpReLU" : ", ReLU",
                sae.source());
    }
}
