package dev.aenstream.sae.eval;

import java.util.Arrays;

/**
 * Minimum-cost assignment of every row of a rows x cols cost matrix, rows <= cols, to a distinct
 * column: Kuhn-Munkres as shortest augmenting paths with potentials (Jonker and Volgenant's form,
 * as in Crouse 2016, which SciPy's linear_sum_assignment follows), O(rows^2 cols) at worst.
 */
public final class Hungarian {
    private Hungarian() {}

    /**
     * Returns, for each row, its column. {@code cost} is row-major rows x cols; a NaN or positive
     * infinite cost marks a pair that cannot be assigned.
     *
     * @throws IllegalArgumentException if no assignment of finite cost exists
     */
    public static int[] assign(double[] cost, int rows, int cols) {
        if (rows > cols)
            throw new IllegalArgumentException("need rows <= cols, got " + rows + " x " + cols);
        double[] u = new double[rows];
        double[] v = new double[cols];
        int[] rowOfCol = new int[cols];
        int[] colOfRow = new int[rows];
        Arrays.fill(rowOfCol, -1);
        Arrays.fill(colOfRow, -1);
        // Warm start: with each row's minimum as its potential, its cheapest column is a tight
        // edge; where that column is still free the row takes it, and only the rows left over need
        // an augmenting path (most of them, when learned and true atoms mostly pair off).
        for (int i = 0; i < rows; i++) {
            int base = i * cols;
            int cheapest = -1;
            for (int j = 0; j < cols; j++)
                if (cost[base + j]
                        < (cheapest < 0 ? Double.POSITIVE_INFINITY : cost[base + cheapest]))
                    cheapest = j;
            if (cheapest < 0) continue; // no pair of finite cost: its search says so
            u[i] = cost[base + cheapest];
            if (rowOfCol[cheapest] < 0) {
                rowOfCol[cheapest] = i;
                colOfRow[i] = cheapest;
            }
        }
        Search search = new Search(rows, cols);
        for (int i = 0; i < rows; i++) {
            if (colOfRow[i] >= 0) continue;
            int sink = search.shortestPath(cost, cols, u, v, rowOfCol, i);
            // Potentials move by each reached node's distance short of the path's, which keeps
            // every reduced cost non-negative and makes the path's edges tight.
            double length = search.length;
            u[i] += length;
            for (int r = 0; r < rows; r++)
                if (search.rowSeen[r] && r != i) u[r] += length - search.distance[colOfRow[r]];
            for (int j = 0; j < cols; j++)
                if (search.colSeen[j]) v[j] -= length - search.distance[j];
            for (int j = sink; ; ) {
                int r = search.via[j];
                rowOfCol[j] = r;
                int previous = colOfRow[r];
                colOfRow[r] = j;
                if (r == i) break;
                j = previous;
            }
        }
        return colOfRow;
    }

    /**
     * One augmenting path search: Dijkstra over reduced costs, from a free row to a free column.
     */
    private static final class Search {
        final double[] distance;
        final int[] via;
        final boolean[] rowSeen;
        final boolean[] colSeen;
        final int[] remaining;
        double length;

        Search(int rows, int cols) {
            distance = new double[cols];
            via = new int[cols];
            rowSeen = new boolean[rows];
            colSeen = new boolean[cols];
            remaining = new int[cols];
        }

        /** The free column the shortest path from {@code start} reaches; sets {@link #length}. */
        int shortestPath(
                double[] cost, int cols, double[] u, double[] v, int[] rowOfCol, int start) {
            Arrays.fill(distance, Double.POSITIVE_INFINITY);
            Arrays.fill(rowSeen, false);
            Arrays.fill(colSeen, false);
            int left = cols;
            for (int j = 0; j < cols; j++) remaining[j] = cols - 1 - j;
            double reached = 0;
            int row = start;
            while (true) {
                rowSeen[row] = true;
                int base = row * cols;
                double offset = reached - u[row];
                int next = -1;
                double lowest = Double.POSITIVE_INFINITY;
                for (int k = 0; k < left; k++) {
                    int j = remaining[k];
                    double d = offset + cost[base + j] - v[j];
                    if (d < distance[j]) {
                        via[j] = row;
                        distance[j] = d;
                    }
                    // Among equals a free column wins: the path ends there.
                    if (distance[j] < lowest || (distance[j] == lowest && rowOfCol[j] < 0)) {
                        lowest = distance[j];
                        next = k;
                    }
                }
                if (next < 0 || lowest == Double.POSITIVE_INFINITY)
                    throw new IllegalArgumentException(
                            "no assignment of finite cost: row " + start + " has no free column");
                reached = lowest;
                int j = remaining[next];
                colSeen[j] = true;
                remaining[next] = remaining[--left];
                if (rowOfCol[j] < 0) {
                    length = reached;
                    return j;
                }
                row = rowOfCol[j];
            }
        }
    }
}
