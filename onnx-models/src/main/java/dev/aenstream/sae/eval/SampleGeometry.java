package dev.aenstream.sae.eval;

import dev.aenstream.sae.SaeParameters;
import java.util.Arrays;

/**
 * The paper's measurements of an SAE on a small sample of rows, for a trainer to publish while it
 * runs: the codes of the rows (encoded here, in Java, so the training graph stays as it is), their
 * shrinkage and active-set geometry, and the dictionary's coherence.
 */
public final class SampleGeometry {
    /** Rows measured at most: each costs one SVD of its active set and a pass over D atoms. */
    public static final int MAX_ROWS = 64;

    /**
     * Coherence compares every pair of atoms (D^2 n work), so it is left out above this D; the
     * active-set figures cost D n per active atom and stay.
     */
    public static final int MAX_COHERENCE_D = 8192;

    /**
     * What was measured.
     *
     * @param shrinkage mean ||xhat||_1 / mean ||x||_1 over the rows
     * @param coherence the dictionary's coherence, or null above {@link #MAX_COHERENCE_D} or when
     *     not asked for
     * @param active the active-set geometry of the rows
     */
    public record Figures(
            double shrinkage,
            DictionaryGeometry.Coherence coherence,
            DictionaryGeometry.ActiveSets active) {}

    private SampleGeometry() {}

    /**
     * Measures {@code params} on up to {@link #MAX_ROWS} of the {@code rows} rows in {@code x};
     * {@code topK} > 0 keeps only each row's k largest codes, as a TopK SAE does.
     */
    public static Figures measure(SaeParameters params, float[] x, int rows, int topK) {
        return measure(params, x, rows, topK, true);
    }

    /** As {@link #measure(SaeParameters, float[], int, int)}, coherence only when asked. */
    public static Figures measure(
            SaeParameters params, float[] x, int rows, int topK, boolean withCoherence) {
        int n = params.n();
        int d = params.d();
        int m = Math.min(rows, MAX_ROWS);
        float[] sample = Arrays.copyOf(x, m * n);
        float[] codes = encode(params, sample, m, topK);
        float[] xhat = new float[m * n];
        float[] wDec = params.wDec();
        for (int r = 0; r < m; r++) {
            for (int i = 0; i < n; i++) {
                double v = params.bDec()[i];
                for (int j = 0; j < d; j++) {
                    float c = codes[r * d + j];
                    if (c != 0) v += wDec[i * d + j] * c;
                }
                xhat[r * n + i] = (float) v;
            }
        }
        DictionaryGeometry geometry = DictionaryGeometry.of(params);
        return new Figures(
                DictionaryGeometry.shrinkage(sample, xhat, m, n),
                withCoherence && d <= MAX_COHERENCE_D ? geometry.coherence() : null,
                geometry.activeSets(codes, m));
    }

    /** h = ReLU(W_enc (x - b_dec) + b_enc), cut to the k largest per row when k > 0. */
    static float[] encode(SaeParameters p, float[] x, int rows, int topK) {
        int n = p.n();
        int d = p.d();
        float[] codes = new float[rows * d];
        float[] centred = new float[n];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < n; i++) centred[i] = x[r * n + i] - p.bDec()[i];
            for (int j = 0; j < d; j++) {
                double pre = p.bEnc()[j];
                for (int i = 0; i < n; i++) pre += p.wEnc()[j * n + i] * centred[i];
                codes[r * d + j] = (float) Math.max(0, pre);
            }
            if (topK > 0 && topK < d) {
                float[] row = Arrays.copyOfRange(codes, r * d, (r + 1) * d);
                float[] sorted = row.clone();
                Arrays.sort(sorted);
                float kth = sorted[d - topK];
                int kept = 0;
                for (int j = 0; j < d; j++) {
                    boolean keep = row[j] >= kth && row[j] > 0 && kept < topK;
                    if (keep) kept++;
                    codes[r * d + j] = keep ? row[j] : 0;
                }
            }
        }
        return codes;
    }
}
