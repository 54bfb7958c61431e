package dev.aenstream.sae.importers;

import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeFiles;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.OnnxPackage;
import dev.aenstream.sae.onnx.WeightPrecision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens an SAE from wherever it lives as an encoder graph: our safetensors parameters or a training
 * checkpoint, a SAELens or sparsify directory, or an encoder exported to {@code .onnx}.
 */
public final class SaeSources {
    private SaeSources() {}

    /**
     * An encoder ready for ONNX Runtime, with its widths, top-k cut, its decoder when known (else
     * null) and its origin.
     */
    public record EncoderModel(
            OnnxPackage model, int n, int d, int kMax, SaeDecoder decoder, String origin) {}

    /**
     * @param kMax top-k cut for sources that do not fix one (a TopK SAE's own k wins)
     * @param normalise rescale rows to norm sqrt(n) inside the graph (not possible for an exported
     *     graph)
     */
    public static EncoderModel load(Path path, int kMax, boolean normalise) throws IOException {
        return load(path, kMax, normalise, WeightPrecision.FLOAT32);
    }

    /** As {@link #load(Path, int, boolean)}, the weight matrices stored in {@code weights}. */
    public static EncoderModel load(Path path, int kMax, boolean normalise, WeightPrecision weights)
            throws IOException {
        if (Files.isDirectory(path)) {
            ImportedSae sae;
            if (SparsifyImporter.looksLike(path)) sae = SparsifyImporter.read(path);
            else if (SaeLensImporter.looksLike(path)) sae = SaeLensImporter.read(path, kMax);
            else
                throw new IOException(
                        path
                                + " is neither a SAELens (cfg.json + "
                                + SaeLensImporter.WEIGHTS
                                + ") nor a sparsify (cfg.json + "
                                + SparsifyImporter.WEIGHTS
                                + ") directory");
            EncoderSpec spec =
                    new EncoderSpec(sae.spec().kMax(), normalise, sae.spec().topK(), weights);
            return fromParameters(sae.params(), spec, sae.source());
        }
        if (!Files.isRegularFile(path)) throw new IOException("no SAE at " + path);
        String name = path.getFileName().toString();
        if (name.endsWith(".onnx")) {
            if (normalise)
                throw new IOException(
                        path
                                + ": normalisation cannot be added to an exported encoder;"
                                + " normalise upstream");
            if (weights != WeightPrecision.FLOAT32)
                throw new IOException(
                        path
                                + ": an exported encoder keeps its own weights; --weights applies"
                                + " to SAEs given by their parameters");
            OnnxEncoderImporter.Wrapped w =
                    OnnxEncoderImporter.wrap(Files.readAllBytes(path), kMax);
            return new EncoderModel(
                    OnnxPackage.adopt(w.model(), path.toAbsolutePath().getParent()),
                    w.n(),
                    w.d(),
                    w.kMax(),
                    null,
                    "ONNX encoder " + path);
        }
        if (name.endsWith(".safetensors")) {
            SaeParameters params = SaeFiles.load(path);
            return fromParameters(
                    params,
                    new EncoderSpec(Math.min(kMax, params.d()), normalise, false, weights),
                    "parameters from " + path);
        }
        throw new IOException(path + ": expected a directory, a .safetensors file or a .onnx file");
    }

    /**
     * The encoder graph of the parameters, carrying the decoder too (as tensors its nodes do not
     * use).
     */
    public static EncoderModel fromParameters(
            SaeParameters params, EncoderSpec spec, String origin) {
        int k = Math.min(spec.kMax(), params.d());
        SaeDecoder decoder = SaeDecoder.of(params);
        OnnxPackage model =
                EncoderGraph.packaged(
                        EncoderGraph.Weights.of(params).withDecoder(decoder), spec, "sae_encoder");
        return new EncoderModel(model, params.n(), params.d(), k, decoder, origin);
    }
}
