package dev.aenstream.cli.options;

import dev.aenstream.sae.onnx.EncoderSpec;
import picocli.CommandLine.Option;

/** {@code --k-max}: the encoder graph's top-k cut. */
public final class KMaxOption {
    @Option(
            names = "--k-max",
            paramLabel = "K_MAX",
            description =
                    "At most this many active features per row leave the encoder, the largest"
                        + " first; the number that fired is still counted; TopK SAEs use their k"
                        + " (default: ${DEFAULT-VALUE}).")
    int kMax = EncoderSpec.DEFAULT_K_MAX;

    public int kMax() {
        return kMax;
    }
}
