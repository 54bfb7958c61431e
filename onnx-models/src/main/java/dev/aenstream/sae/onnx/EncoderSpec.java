package dev.aenstream.sae.onnx;

/**
 * How an encoder graph is built: {@code kMax} is the top-k cut that makes the output sparse inside
 * the graph; {@code normalise} rescales every input row to L2 norm sqrt(n) first (docs/aen-sae.md's
 * language-model setting); {@code topK} says the cut is the SAE's own activation (a TopK SAE, k =
 * kMax), so a feature fires only when it is kept; otherwise the cut only bounds what travels, and
 * the graph's per-feature counts are taken before it. {@code weights} is the element type the
 * weight matrices are stored in.
 */
public record EncoderSpec(int kMax, boolean normalise, boolean topK, WeightPrecision weights) {
    /** At most this many active features per row leave the encoder unless told otherwise. */
    public static final int DEFAULT_K_MAX = 128;

    public EncoderSpec {
        if (kMax <= 0) throw new IllegalArgumentException("kMax must be positive, got " + kMax);
        if (weights == null) throw new IllegalArgumentException("weights need a precision");
    }

    /** An encoder with float32 weights. */
    public EncoderSpec(int kMax, boolean normalise, boolean topK) {
        this(kMax, normalise, topK, WeightPrecision.FLOAT32);
    }

    /** This encoder with its weight matrices stored in {@code precision}. */
    public EncoderSpec withWeights(WeightPrecision precision) {
        return new EncoderSpec(kMax, normalise, topK, precision);
    }

    /** An encoder whose cut only bounds what travels (every architecture but TopK). */
    public EncoderSpec(int kMax, boolean normalise) {
        this(kMax, normalise, false);
    }
}
