package dev.aenstream.sae;

/**
 * docs/aen-sae.md's forward pass in plain double-precision Java: the reference ONNX results are
 * checked against.
 */
public final class ReferenceEncoder {
    private ReferenceEncoder() {}

    /**
     * {@code h = ReLU(W_enc (x * scale - b_dec) + b_enc)} for one row starting at {@code offset}.
     */
    public static double[] encode(SaeParameters p, float[] x, int offset, boolean normalise) {
        int n = p.n();
        double scale = 1;
        if (normalise) {
            double sq = 0;
            for (int i = 0; i < n; i++) sq += (double) x[offset + i] * x[offset + i];
            scale = Math.sqrt(n) / Math.max(Math.sqrt(sq), 1e-12);
        }
        double[] h = new double[p.d()];
        for (int j = 0; j < p.d(); j++) {
            double acc = p.bEnc()[j];
            int row = j * n;
            for (int i = 0; i < n; i++)
                acc += p.wEnc()[row + i] * (x[offset + i] * scale - p.bDec()[i]);
            h[j] = Math.max(0, acc);
        }
        return h;
    }
}
