package dev.aenstream.sae.onnx;

/**
 * How an encoder graph is built: {@code kMax} is the top-k cut that makes the output sparse inside
 * the graph; {@code normalise} rescales every input row to L2 norm sqrt(n) first (docs/aen-sae.md's
 * language-model setting); {@code activation} turns pre-activations into codes (for a TopK SAE the
 * cut is its own activation, k = kMax, so a feature fires only when it is kept; otherwise the cut
 * only bounds what travels, and the graph's per-feature counts are taken before it). {@code
 * weights} is the element type the weight matrices are stored in.
 */
public record EncoderSpec(
        int kMax, boolean normalise, Activation activation, WeightPrecision weights) {
    /** At most this many active features per row leave the encoder unless told otherwise. */
    public static final int DEFAULT_K_MAX = 128;

    public EncoderSpec {
        if (kMax <= 0) throw new IllegalArgumentException("kMax must be positive, got " + kMax);
        if (weights == null) throw new IllegalArgumentException("weights need a precision");
        if (activation == null)
            throw new IllegalArgumentException("an encoder needs an activation");
    }

    /** An encoder with float32 weights. */
    public EncoderSpec(int kMax, boolean normalise, Activation activation) {
        this(kMax, normalise, activation, WeightPrecision.FLOAT32);
    }

    /** This encoder, normalising its input rows or not. */
    public EncoderSpec withNormalise(boolean normalise) {
        return new EncoderSpec(kMax, normalise, activation, weights);
    }

    /** This encoder with its weight matrices stored in {@code precision}. */
    public EncoderSpec withWeights(WeightPrecision precision) {
        return new EncoderSpec(kMax, normalise, activation, precision);
    }

    /** A ReLU encoder (every penalised SAE), whose cut only bounds what travels. */
    public EncoderSpec(int kMax, boolean normalise) {
        this(kMax, normalise, Activation.RELU);
    }
}
