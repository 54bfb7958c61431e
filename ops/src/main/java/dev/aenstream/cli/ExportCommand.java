package dev.aenstream.cli;

import dev.aenstream.cli.options.KMaxOption;
import dev.aenstream.sae.importers.SaeSources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Writes the encoder graph of a checkpoint or an imported SAE. */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description = {
            "Write an SAE's encoder as ONNX (input x [rows, n]; outputs values and indices [rows,"
                + " k_max], active_counts [rows], scales [rows, 1]) from a checkpoint or parameters"
                + " (.safetensors), a SAELens or sparsify directory, or an encoder exported from"
                + " PyTorch (.onnx)."
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
            paramLabel = "FILE",
            required = true,
            description =
                    "Where to write the encoder .onnx; weights of 1 MiB or more go to FILE.data"
                            + " beside it (ONNX external data).")
    Path out;

    @Mixin KMaxOption kMax;

    @Mixin dev.aenstream.cli.options.WeightsOption weights;

    @Option(
            names = "--normalise",
            description = "Rescale every row to L2 norm sqrt(n) inside the graph.")
    boolean normalise;

    @Override
    public Integer call() throws Exception {
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
}
