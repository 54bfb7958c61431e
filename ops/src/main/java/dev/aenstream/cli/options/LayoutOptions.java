package dev.aenstream.cli.options;

import dev.aenstream.sae.importers.ImportedSae;
import dev.aenstream.sae.importers.SaeExporters;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The layout an SAE is written in ({@code aen export}, {@code aen models pull}), and the names
 * SAELens' layout needs.
 */
public final class LayoutOptions {
    /** The layouts an SAE can be written in. */
    public enum Format {
        onnx,
        saelens,
        sparsify
    }

    @Option(
            names = "--format",
            paramLabel = "FORMAT",
            description =
                    "onnx (an encoder graph), saelens or sparsify (those tools' layouts; sparsify"
                            + " for TopK SAEs only) (default: ${DEFAULT-VALUE}).")
    Format format = Format.onnx;

    @Option(
            names = "--model-name",
            paramLabel = "NAME",
            description =
                    "The model whose activations the SAE reads, for SAELens' cfg.json (default:"
                            + " what the source says).")
    String modelName;

    @Option(
            names = "--hook-name",
            paramLabel = "HOOK",
            description =
                    "The hook point it reads (e.g. blocks.16.hook_resid_post), for SAELens'"
                            + " cfg.json (default: what the source says).")
    String hookName;

    public Format format() {
        return format;
    }

    /**
     * Writes {@code sae} in SAELens' or sparsify's layout to {@code out}; the model and hook names
     * default to what the SAE's source said.
     *
     * @throws IllegalArgumentException when the layout cannot say what the SAE does, or SAELens'
     *     names are unknown
     */
    public void write(ImportedSae sae, Path out) throws IOException {
        if (format == Format.onnx)
            throw new IllegalStateException("an ONNX encoder is written from its package");
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
                ", " + sae.spec().activation().label() + " kMax=" + sae.spec().kMax(),
                sae.source());
    }
}
