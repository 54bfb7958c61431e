package dev.aenstream.bench;

import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.WeightPrecision;

/** Served codes held against the synthetic SAE's own computation of each row's top features. */
final class DirectCodes {
    /** How far a served code may be from the direct computation (float against double sums). */
    static final double TOLERANCE = 1e-4;

    private DirectCodes() {}

    /**
     * Largest difference between served codes and the direct computation, on the first {@code rows}
     * rows of {@code x}.
     *
     * @throws AssertionError if a served code differs from the direct computation by more than
     *     {@link #TOLERANCE}, or a row has other codes than its top {@code kMax}
     */
    static double maxError(
            SyntheticSae sae,
            SparseCodes codes,
            float[] x,
            int rows,
            int kMax,
            WeightPrecision stored) {
        double worst = 0;
        for (int r = 0; r < rows; r++) {
            float[] h = sae.encode(x, r * sae.n(), stored);
            int[] expected = SyntheticSae.topK(h, kMax);
            int from = codes.rowOffsets()[r];
            int to = codes.rowOffsets()[r + 1];
            if (to - from != expected.length)
                throw new AssertionError(
                        "row "
                                + r
                                + ": "
                                + (to - from)
                                + " codes served, "
                                + expected.length
                                + " expected");
            float kth = h[expected[expected.length - 1]];
            for (int e = from; e < to; e++) {
                int feature = codes.indices()[e];
                float served = codes.values()[e];
                double err = Math.abs(served - h[feature]);
                // A feature within the tolerance of the k-th value may trade places with it.
                if (err > TOLERANCE || (h[feature] < kth - TOLERANCE))
                    throw new AssertionError(
                            "row "
                                    + r
                                    + ", feature "
                                    + feature
                                    + ": served "
                                    + served
                                    + ", direct "
                                    + h[feature]
                                    + " (k-th "
                                    + kth
                                    + ")");
                if (Math.abs(h[expected[e - from]] - served) > TOLERANCE)
                    throw new AssertionError(
                            "row "
                                    + r
                                    + ", rank "
                                    + (e - from)
                                    + ": served "
                                    + served
                                    + ", direct "
                                    + h[expected[e - from]]);
                worst = Math.max(worst, err);
            }
        }
        return worst;
    }
}
