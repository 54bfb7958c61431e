package dev.aenstream.sae.onnx;

/**
 * How an encoder graph is built: {@code kMax} is the top-k cut that makes the output sparse inside
 * the graph; {@code normalise} rescales every input row to L2 norm sqrt(n) first (docs/aen-sae.md's
 * language-model setting).
 */
public record EncoderSpec(int kMax, boolean normalise) {
    /** At most this many active features per row leave the encoder unless told otherwise. */
    public static final int DEFAULT_K_MAX = 128;

    public EncoderSpec {
        if (kMax <= 0) throw new IllegalArgumentException("kMax must be positive, got " + kMax);
    }
}
