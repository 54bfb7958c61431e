package dev.aenstream.cli.options;

import dev.aenstream.encode.ServingSae;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.importers.SaeSources;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.EncoderTensors;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Which SAE the encoders serve (a file, a fresh untrained one, or by default what the models topic
 * publishes) and how ONNX Runtime runs it.
 */
public final class SaeOptions {
    @Option(
            names = "--sae-id",
            paramLabel = "ID",
            description = "Id the codes name (default: ${DEFAULT-VALUE}).")
    String saeId = "aen";

    @Option(
            names = "--sae-file",
            paramLabel = "PATH",
            description =
                    "Serve this SAE: our parameters or a training checkpoint (.safetensors), a"
                        + " SAELens or sparsify directory, or an encoder exported to .onnx. Without"
                        + " it the encoders serve the versions `aen train` publishes to the models"
                        + " topic.")
    Path saeFile;

    @Option(
            names = "--untrained",
            description =
                    "Serve a freshly initialised, untrained SAE (to try the flow without a"
                            + " trainer).")
    boolean untrained;

    @Mixin DSaeOption dSae;

    @Option(
            names = "--sae-seed",
            paramLabel = "SEED",
            description = "Seed of an --untrained SAE (default: ${DEFAULT-VALUE}).")
    long saeSeed = 0;

    @Mixin KMaxOption kMax;

    @Option(
            names = "--normalise",
            description =
                    "Rescale every row to L2 norm sqrt(n) inside the encoder (docs/aen-sae.md's "
                            + "language-model setting; synthetic data needs none).")
    boolean normalise;

    @Mixin DeviceOption device;

    @Mixin OrtThreadsOption ortThreads;

    /** Whether the SAE comes from the command line rather than the models topic. */
    public boolean fixed() {
        return saeFile != null || untrained;
    }

    public int ortThreads() {
        return ortThreads.ortThreads();
    }

    public Device device() {
        return device.device();
    }

    public int kMax() {
        return kMax.kMax();
    }

    /**
     * Loads or initialises the SAE for rows of width {@code n} and opens it in ONNX Runtime as
     * version 1.
     */
    public ServingSae open(int n) throws Exception {
        return open(n, DictionaryShard.WHOLE);
    }

    /** As {@link #open(int)}, serving {@code shard} of its dictionary. */
    public ServingSae open(int n, DictionaryShard shard) throws Exception {
        SaeSources.EncoderModel model =
                saeFile != null
                        ? SaeSources.load(saeFile, kMax.kMax(), normalise)
                        : SaeSources.fromParameters(
                                SaeParameters.initialise(n, dSae.dSae(), saeSeed),
                                new EncoderSpec(kMax.kMax(), normalise),
                                "freshly initialised (seed " + saeSeed + "), untrained");
        if (model.n() != n) {
            throw new IllegalArgumentException(
                    "SAE in " + saeFile + " has n=" + model.n() + " but the rows have n=" + n);
        }
        if (shard.count() > 1) {
            EncoderTensors.Read read = EncoderTensors.read(model.model());
            EncoderSpec spec =
                    read.spec() != null ? read.spec() : new EncoderSpec(model.kMax(), normalise);
            return new ServingSae(
                    saeId,
                    1,
                    SaeEncoder.openShard(
                            read, spec, shard, device.device(), ortThreads.ortThreads()),
                    model.origin(),
                    null,
                    spec.normalise(),
                    shard,
                    model.d());
        }
        SaeEncoder encoder =
                SaeEncoder.open(
                        model.model(),
                        model.n(),
                        model.d(),
                        model.kMax(),
                        device.device(),
                        ortThreads.ortThreads());
        return new ServingSae(
                saeId, 1, encoder, model.origin(), model.decoder(), model.normalise());
    }
}
