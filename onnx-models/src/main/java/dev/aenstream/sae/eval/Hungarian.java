package dev.aenstream.sae.eval;

import java.util.Arrays;

/**
 * Minimum-cost assignment (Kuhn-Munkres with potentials, O(rows^2 cols)) of every row of a rows x
 * cols cost matrix, rows <= cols, to a distinct column.
 */
public final class Hungarian {
    private Hungarian() {}

    /** Returns, for each row, its column. {@code cost} is row-major rows x cols. */
    public static int[] assign(double[] cost, int rows, int cols) {
        if (rows > cols)
            throw new IllegalArgumentException("need rows <= cols, got " + rows + " x " + cols);
        double[] u = new double[rows + 1];
        double[] v = new double[cols + 1];
        int[] p = new int[cols + 1]; // p[j]: row (1-based) matched to column j, 0 if none
        int[] way = new int[cols + 1];
        double[] minv = new double[cols + 1];
        boolean[] used = new boolean[cols + 1];
        // Warm start: with each row's minimum as its potential, its cheapest column is a tight
        // edge; where that column is still free the row takes it, and only the rows left over need
        // an augmenting path (most of them, when learned and true atoms mostly pair off).
        boolean[] matched = new boolean[rows + 1];
        for (int i = 1; i <= rows; i++) {
            int base = (i - 1) * cols;
            int cheapest = 1;
            for (int j = 2; j <= cols; j++)
                if (cost[base + j - 1] < cost[base + cheapest - 1]) cheapest = j;
            u[i] = cost[base + cheapest - 1];
            if (p[cheapest] == 0) {
                p[cheapest] = i;
                matched[i] = true;
            }
        }
        for (int i = 1; i <= rows; i++) {
            if (matched[i]) continue;
            p[0] = i;
            int j0 = 0;
            Arrays.fill(minv, Double.POSITIVE_INFINITY);
            Arrays.fill(used, false);
            do {
                used[j0] = true;
                int i0 = p[j0];
                double delta = Double.POSITIVE_INFINITY;
                int j1 = 0;
                int base = (i0 - 1) * cols;
                for (int j = 1; j <= cols; j++) {
                    if (used[j]) continue;
                    double cur = cost[base + j - 1] - u[i0] - v[j];
                    if (cur < minv[j]) {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta) {
                        delta = minv[j];
                        j1 = j;
                    }
                }
                for (int j = 0; j <= cols; j++) {
                    if (used[j]) {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    } else {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            } while (p[j0] != 0);
            do {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        int[] assignment = new int[rows];
        for (int j = 1; j <= cols; j++) if (p[j] != 0) assignment[p[j] - 1] = j - 1;
        return assignment;
    }
}
