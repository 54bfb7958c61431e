package dev.aenstream.sae.importers;

import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeFiles;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.EncoderTensors;
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
     * null), its origin, and whether it rescales rows to norm sqrt(n) itself.
     */
    public record EncoderModel(
            OnnxPackage model,
            int n,
            int d,
            int kMax,
            SaeDecoder decoder,
            String origin,
            boolean normalise) {}

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
            ImportedSae sae = imported(path, kMax);
            // Normalised when asked, or when the SAE's own files say it reads normalised rows.
            EncoderSpec spec =
                    sae.spec()
                            .withNormalise(normalise || sae.spec().normalise())
                            .withWeights(weights);
            return fromImported(sae, spec);
        }
        if (!Files.isRegularFile(path)) throw new IOException("no SAE at " + path);
        String name = path.getFileName().toString();
        if (name.endsWith(".onnx")) {
            ImportedSae own = ownEncoder(path);
            if (own != null) {
                // An encoder aen built keeps the settings it records; --weights may change how
                // its matrices are stored.
                EncoderSpec spec =
                        weights == WeightPrecision.FLOAT32
                                ? own.spec()
                                : own.spec().withWeights(weights);
                if (normalise && !spec.normalise())
                    throw new IOException(
                            path
                                    + ": this encoder was built without normalisation; export it"
                                    + " again with --normalise");
                return fromImported(own, spec);
            }
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
                    "ONNX encoder " + path,
                    false);
        }
        if (name.endsWith(".safetensors")) {
            ImportedSae sae = imported(path, kMax);
            return fromParameters(
                    sae.params(),
                    new EncoderSpec(sae.spec().kMax(), normalise).withWeights(weights),
                    sae.source());
        }
        throw new IOException(path + ": expected a directory, a .safetensors file or a .onnx file");
    }

    /**
     * The SAE's parameters, from a SAELens or sparsify directory or a .safetensors file of ours (a
     * checkpoint or parameters; a ReLU SAE cut at {@code kMax}): what an exporter writes out.
     *
     * @throws IOException for an ONNX encoder, whose decoder no format can be written without, and
     *     for anything else that is not an SAE
     */
    public static ImportedSae imported(Path path, int kMax) throws IOException {
        if (Files.isDirectory(path)) {
            if (SparsifyImporter.looksLike(path)) return SparsifyImporter.read(path);
            if (SaeLensImporter.looksLike(path)) return SaeLensImporter.read(path, kMax);
            throw new IOException(
                    path
                            + " is neither a SAELens (cfg.json + "
                            + SaeLensImporter.WEIGHTS
                            + ") nor a sparsify (cfg.json + "
                            + SparsifyImporter.WEIGHTS
                            + ") directory");
        }
        if (!Files.isRegularFile(path)) throw new IOException("no SAE at " + path);
        if (path.getFileName().toString().endsWith(".onnx")) {
            ImportedSae own = ownEncoder(path);
            if (own != null) return own;
        }
        if (path.getFileName().toString().endsWith(".safetensors")) {
            SaeParameters params = SaeFiles.load(path);
            return new ImportedSae(
                    params,
                    new EncoderSpec(Math.min(kMax, params.d()), false),
                    "parameters from " + path);
        }
        throw new IOException(
                path
                        + ": only an SAE given by its parameters (a checkpoint or .safetensors, a"
                        + " SAELens or sparsify directory, an encoder aen exported) can be"
                        + " written in another layout; an ONNX encoder made elsewhere has no"
                        + " decoder to write");
    }

    /**
     * An encoder aen built (its graph records how, and carries the decoder), read back as the SAE
     * it was built from; null for any other ONNX graph.
     */
    private static ImportedSae ownEncoder(Path path) throws IOException {
        OnnxPackage pkg =
                OnnxPackage.adopt(Files.readAllBytes(path), path.toAbsolutePath().getParent());
        EncoderTensors.Read read;
        try {
            read = EncoderTensors.read(pkg);
        } catch (IOException notOurs) {
            return null;
        }
        if (read.spec() == null || read.weights().atoms() == null) return null;
        return ImportedSae.of(read, read.spec(), "aen encoder " + path);
    }

    /**
     * The encoder graph of the parameters, carrying the decoder too (as tensors its nodes do not
     * use).
     */
    public static EncoderModel fromParameters(
            SaeParameters params, EncoderSpec spec, String origin) {
        return fromImported(new ImportedSae(params, spec, origin), spec);
    }

    /** The encoder graph of an imported SAE, built to {@code spec}, carrying its decoder. */
    public static EncoderModel fromImported(ImportedSae sae, EncoderSpec spec) {
        SaeParameters params = sae.params();
        int k = Math.min(spec.kMax(), params.d());
        SaeDecoder decoder = SaeDecoder.of(params);
        EncoderGraph.Weights w =
                EncoderGraph.Weights.of(params).withDecoder(decoder).withThreshold(sae.threshold());
        OnnxPackage model = EncoderGraph.packaged(w, spec, "sae_encoder");
        return new EncoderModel(
                model, params.n(), params.d(), k, decoder, sae.source(), spec.normalise());
    }
}
