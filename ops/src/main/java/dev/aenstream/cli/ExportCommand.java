package dev.aenstream.cli;

import dev.aenstream.cli.options.KMaxOption;
import dev.aenstream.cli.options.LayoutOptions;
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

    @Mixin LayoutOptions layout;

    @Mixin KMaxOption kMax;

    @Mixin dev.aenstream.cli.options.WeightsOption weights;

    @Option(
            names = "--normalise",
            description = "Rescale every row to L2 norm sqrt(n) inside the graph.")
    boolean normalise;

    @Override
    public Integer call() throws Exception {
        if (layout.format() != LayoutOptions.Format.onnx) return writeLayout();
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
                            + layout.format()
                            + "'s layout: rescale rows to norm sqrt(n) before they reach it");
        if (weights.weights() != dev.aenstream.sae.onnx.WeightPrecision.FLOAT32)
            throw new IllegalArgumentException(
                    "--weights applies to ONNX encoders; "
                            + layout.format()
                            + " is written in float32");
        layout.write(SaeSources.imported(from, kMax.kMax()), out);
        return 0;
    }
}
