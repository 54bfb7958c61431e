package dev.aenstream.sae.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which feature of a previous version each feature of a new one continues, matched on decoder atoms
 * by |cos|, so that a feature's page and statistics follow it when versions permute or replace
 * features.
 *
 * <p>First every feature still at its own id with |cos| ≥ {@link #SAME_ID_COS} keeps it: a trainer
 * that goes on training moves its atoms little. The rest are assigned one to one by the Hungarian
 * method, which is optimal, while they are at most {@link #MAX_HUNGARIAN} (O(m³)); up to {@link
 * #MAX_SEARCH} greedily, best pairs first; beyond, they count as new. A match below {@code minCos}
 * is no match: the feature is new.
 *
 * @param previous per feature of the new version, the previous version's feature it continues, or
 *     -1 when it is new
 * @param cos per feature of the new version, |cos| between its atom and the one it continues (0
 *     when new)
 */
public record FeatureMatch(int[] previous, float[] cos) {
    /** |cos| from which a feature at the same id counts as the same feature without search. */
    public static final double SAME_ID_COS = 0.9;

    /** Default |cos| below which a feature counts as new. */
    public static final double DEFAULT_MIN_COS = 0.5;

    /** Most unmatched features the exact assignment takes (O(m³), about a second here). */
    public static final int MAX_HUNGARIAN = 1_000;

    /**
     * Most unmatched features searched at all: beyond, they count as new. A version that replaced
     * more features than this is a new dictionary, and the |cos| table would need m² doubles.
     */
    public static final int MAX_SEARCH = 4_096;

    /**
     * Matches the atoms of {@code next} (n x nextD, row-major: atom j is column j) to those of
     * {@code prev} (n x prevD).
     */
    public static FeatureMatch of(
            float[] prev, int prevD, float[] next, int nextD, int n, double minCos) {
        if (prev.length != n * prevD || next.length != n * nextD)
            throw new IllegalArgumentException("decoders do not have n x D entries");
        double[] prevNorm = norms(prev, prevD, n);
        double[] nextNorm = norms(next, nextD, n);
        int[] previous = new int[nextD];
        float[] cos = new float[nextD];
        Arrays.fill(previous, -1);
        boolean[] taken = new boolean[prevD];
        for (int j = 0; j < Math.min(prevD, nextD); j++) {
            double c = cos(prev, prevD, j, prevNorm, next, nextD, j, nextNorm, n);
            if (c >= SAME_ID_COS) {
                previous[j] = j;
                cos[j] = (float) c;
                taken[j] = true;
            }
        }
        List<Integer> rows = new ArrayList<>();
        for (int j = 0; j < nextD; j++) if (previous[j] < 0) rows.add(j);
        List<Integer> cols = new ArrayList<>();
        for (int i = 0; i < prevD; i++) if (!taken[i]) cols.add(i);
        if (!rows.isEmpty()
                && !cols.isEmpty()
                && Math.max(rows.size(), cols.size()) <= MAX_SEARCH) {
            double[][] c = new double[rows.size()][cols.size()];
            for (int r = 0; r < rows.size(); r++)
                for (int k = 0; k < cols.size(); k++)
                    c[r][k] =
                            cos(
                                    prev,
                                    prevD,
                                    cols.get(k),
                                    prevNorm,
                                    next,
                                    nextD,
                                    rows.get(r),
                                    nextNorm,
                                    n);
            int[] assigned =
                    Math.max(rows.size(), cols.size()) <= MAX_HUNGARIAN ? hungarian(c) : greedy(c);
            for (int r = 0; r < rows.size(); r++) {
                int k = assigned[r];
                if (k < 0 || c[r][k] < minCos) continue;
                previous[rows.get(r)] = cols.get(k);
                cos[rows.get(r)] = (float) c[r][k];
            }
        }
        return new FeatureMatch(previous, cos);
    }

    /** Per row its column, maximising the sum of |cos|; -1 for rows left over when rows > cols. */
    private static int[] hungarian(double[][] c) {
        int rows = c.length;
        int cols = c[0].length;
        int[] out = new int[rows];
        if (rows <= cols) {
            double[] cost = new double[rows * cols];
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < cols; k++) cost[r * cols + k] = -c[r][k];
            int[] a = Hungarian.assign(cost, rows, cols);
            System.arraycopy(a, 0, out, 0, rows);
        } else {
            double[] cost = new double[cols * rows];
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < cols; k++) cost[k * rows + r] = -c[r][k];
            int[] a = Hungarian.assign(cost, cols, rows);
            Arrays.fill(out, -1);
            for (int k = 0; k < cols; k++) out[a[k]] = k;
        }
        return out;
    }

    /** Pairs taken best first, each row and column once. */
    private static int[] greedy(double[][] c) {
        int rows = c.length;
        int cols = c[0].length;
        int[] out = new int[rows];
        Arrays.fill(out, -1);
        boolean[] used = new boolean[cols];
        // Each row's best free column, best rows first; a row whose column went elsewhere looks
        // again.
        java.util.PriorityQueue<double[]> best =
                new java.util.PriorityQueue<>((x, y) -> Double.compare(y[0], x[0]));
        for (int r = 0; r < rows; r++) push(best, c, r, used);
        int free = cols;
        while (!best.isEmpty() && free > 0) {
            double[] top = best.poll();
            int r = (int) top[1];
            int k = (int) top[2];
            if (used[k]) {
                push(best, c, r, used);
                continue;
            }
            out[r] = k;
            used[k] = true;
            free--;
        }
        return out;
    }

    private static void push(
            java.util.PriorityQueue<double[]> queue, double[][] c, int r, boolean[] used) {
        int bestK = -1;
        for (int k = 0; k < used.length; k++)
            if (!used[k] && (bestK < 0 || c[r][k] > c[r][bestK])) bestK = k;
        if (bestK >= 0) queue.add(new double[] {c[r][bestK], r, bestK});
    }

    private static double[] norms(float[] w, int d, int n) {
        double[] out = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) out[j] += (double) w[i * d + j] * w[i * d + j];
        for (int j = 0; j < d; j++) out[j] = Math.sqrt(out[j]);
        return out;
    }

    private static double cos(
            float[] a, int ad, int i, double[] an, float[] b, int bd, int j, double[] bn, int n) {
        double dot = 0;
        for (int r = 0; r < n; r++) dot += (double) a[r * ad + i] * b[r * bd + j];
        double norm = an[i] * bn[j];
        return norm > 0 ? Math.abs(dot) / norm : 0;
    }

    /** Features of the new version that continue one of the previous version. */
    public int continued() {
        int c = 0;
        for (int p : previous) if (p >= 0) c++;
        return c;
    }
}
