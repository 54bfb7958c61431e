package dev.aenstream.sae;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The numbers of one SAE: {@code W_enc} (D x n), {@code b_enc} (D), {@code W_dec} (n x D, column j
 * is atom j) and {@code b_dec} (n), all row-major float32, named as in docs/aen-sae.md.
 */
public record SaeParameters(int n, int d, float[] wEnc, float[] bEnc, float[] wDec, float[] bDec) {
    /**
     * Dictionary size D of an SAE a command trains or initialises unless told otherwise (the spiked
     * data's 1,024 atoms).
     */
    public static final int DEFAULT_D_SAE = 1024;

    public SaeParameters {
        if (n <= 0 || d <= 0) {
            throw new IllegalArgumentException(
                    "SAE shape must be positive, got n=" + n + " D=" + d);
        }
        check("W_enc", wEnc, (long) d * n);
        check("b_enc", bEnc, d);
        check("W_dec", wDec, (long) n * d);
        check("b_dec", bDec, n);
    }

    private static void check(String name, float[] values, long expected) {
        if (values == null || values.length != expected) {
            throw new IllegalArgumentException(
                    name
                            + " must hold "
                            + expected
                            + " values, has "
                            + (values == null ? "none" : values.length));
        }
    }

    /**
     * docs/aen-sae.md's initialisation: {@code W_enc}, {@code b_enc} uniform in +-1/sqrt(n); {@code
     * W_dec} uniform in +-1/sqrt(D), then every column normalised; {@code b_dec} = 0. The same seed
     * gives the same parameters.
     */
    public static SaeParameters initialise(int n, int d, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double encBound = 1 / Math.sqrt(n);
        double decBound = 1 / Math.sqrt(d);
        float[] wEnc = new float[Math.multiplyExact(d, n)];
        float[] bEnc = new float[d];
        float[] wDec = new float[Math.multiplyExact(n, d)];
        for (int i = 0; i < wEnc.length; i++)
            wEnc[i] = (float) random.nextDouble(-encBound, encBound);
        for (int i = 0; i < bEnc.length; i++)
            bEnc[i] = (float) random.nextDouble(-encBound, encBound);
        for (int i = 0; i < wDec.length; i++)
            wDec[i] = (float) random.nextDouble(-decBound, decBound);
        SaeParameters params = new SaeParameters(n, d, wEnc, bEnc, wDec, new float[n]);
        params.normaliseDecoderColumns();
        return params;
    }

    /** Divides every decoder column by max(its L2 norm, 1e-12), as after every training step. */
    public void normaliseDecoderColumns() {
        double[] sq = new double[d];
        for (int i = 0; i < n; i++) {
            int row = i * d;
            for (int j = 0; j < d; j++) sq[j] += (double) wDec[row + j] * wDec[row + j];
        }
        for (int j = 0; j < d; j++) sq[j] = 1 / Math.max(Math.sqrt(sq[j]), 1e-12);
        for (int i = 0; i < n; i++) {
            int row = i * d;
            for (int j = 0; j < d; j++) wDec[row + j] = (float) (wDec[row + j] * sq[j]);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SaeParameters p
                && n == p.n
                && d == p.d
                && Arrays.equals(wEnc, p.wEnc)
                && Arrays.equals(bEnc, p.bEnc)
                && Arrays.equals(wDec, p.wDec)
                && Arrays.equals(bDec, p.bDec);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * n + d) + Arrays.hashCode(bEnc);
    }

    @Override
    public String toString() {
        return "SaeParameters[n=" + n + ", D=" + d + "]";
    }
}
