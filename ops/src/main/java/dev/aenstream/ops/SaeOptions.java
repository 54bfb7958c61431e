package dev.aenstream.ops;

import dev.aenstream.encode.ServingSae;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.sae.importers.SaeSources;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which SAE the encoders serve (a file, a fresh untrained one, or by default what the models topic publishes) and how ONNX Runtime runs it. */
public final class SaeOptions {
    static final int DEFAULT_D_SAE = 1024;
    static final int DEFAULT_K_MAX = 128;

    @Option(names = "--sae-id", paramLabel = "ID", defaultValue = "aen", description = "Id the codes name (default: ${DEFAULT-VALUE}).")
    String saeId;

    @Option(names = "--sae-file", paramLabel = "PATH",
            description = "Serve this SAE: our parameters or a training checkpoint (.safetensors), a SAELens or sparsify "
                    + "directory, or an encoder exported to .onnx. Without it the encoders serve the versions `aen train` publishes "
                    + "to the models topic.")
    Path saeFile;

    @Option(names = "--untrained", description = "Serve a freshly initialised, untrained SAE (to try the flow without a trainer).")
    boolean untrained;

    @Option(names = "--d-sae", paramLabel = "D", defaultValue = "" + DEFAULT_D_SAE,
            description = "Dictionary size D of an --untrained SAE (default: ${DEFAULT-VALUE}).")
    int dSae;

    @Option(names = "--sae-seed", paramLabel = "SEED", defaultValue = "0", description = "Seed of an --untrained SAE (default: ${DEFAULT-VALUE}).")
    long saeSeed;

    @Option(names = "--k-max", paramLabel = "K_MAX", defaultValue = "" + DEFAULT_K_MAX,
            description = "At most this many active features per row leave the encoder, the largest first; the number that "
                    + "fired is still counted (default: ${DEFAULT-VALUE}).")
    int kMax;

    @Option(names = "--normalise", description = "Rescale every row to L2 norm sqrt(n) inside the encoder (the spec's "
            + "language-model setting; synthetic data needs none).")
    boolean normalise;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "auto",
            description = "ONNX Runtime device: auto (CUDA when available, else CPU), cpu or cuda (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--ort-threads", paramLabel = "THREADS", defaultValue = "0", description = "ONNX Runtime threads per call; 0 lets it choose (default: ${DEFAULT-VALUE}).")
    int ortThreads;

    /** Whether the SAE comes from the command line rather than the models topic. */
    boolean fixed() {
        return saeFile != null || untrained;
    }

    Device device() {
        return Device.parse(device);
    }

    /** Loads or initialises the SAE for rows of width {@code n} and opens it in ONNX Runtime as version 1. */
    ServingSae open(int n) throws Exception {
        SaeSources.EncoderModel model = saeFile != null
                ? SaeSources.load(saeFile, kMax, normalise)
                : SaeSources.fromParameters(SaeParameters.initialise(n, dSae, saeSeed), new EncoderSpec(kMax, normalise),
                        "freshly initialised (seed " + saeSeed + "), untrained");
        if (model.n() != n) {
            throw new IllegalArgumentException("SAE in " + saeFile + " has n=" + model.n() + " but the rows have n=" + n);
        }
        SaeEncoder encoder = SaeEncoder.open(model.onnx(), model.n(), model.d(), model.kMax(), Device.parse(device), ortThreads);
        return new ServingSae(saeId, 1, encoder, model.origin(), model.decoder(), normalise);
    }
}
