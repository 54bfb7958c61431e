package dev.aenstream.dashboard;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Points over one x axis with several named y columns, bounded: when full, every other point is
 * dropped, so a long run keeps its whole history at half the resolution instead of losing its
 * start.
 */
final class Series {
    private final int capacity;
    private final String[] columns;
    private final List<double[]> points = new ArrayList<>();

    Series(int capacity, String... columns) {
        this.capacity = capacity;
        this.columns = columns;
    }

    /** Appends one point: x, then one value per column. */
    synchronized void add(double... xAndValues) {
        if (xAndValues.length != columns.length + 1)
            throw new IllegalArgumentException("expected x and " + columns.length + " values");
        if (!points.isEmpty() && xAndValues[0] < points.get(points.size() - 1)[0])
            return; // replayed or out of order
        points.add(xAndValues.clone());
        if (points.size() > capacity) {
            for (int i = points.size() - 2; i > 0; i -= 2) points.remove(i);
        }
    }

    /**
     * Puts one point: in place of the point at the same x when there is one (a window reported
     * again), else appended as {@link #add} does.
     */
    synchronized void put(double... xAndValues) {
        int at = indexOf(xAndValues[0]);
        if (at >= 0) points.set(at, xAndValues.clone());
        else add(xAndValues);
    }

    /**
     * Adds {@code delta} to column {@code column} (0: the first y) of every point after x: a
     * running total when a window before them grew.
     */
    synchronized void shift(double x, int column, double delta) {
        if (delta == 0) return;
        for (double[] p : points) if (p[0] > x) p[column + 1] += delta;
    }

    /** The value of column {@code column} (0: the first y) at the point at x, if there is one. */
    synchronized java.util.OptionalDouble valueAt(double x, int column) {
        int at = indexOf(x);
        return at < 0
                ? java.util.OptionalDouble.empty()
                : java.util.OptionalDouble.of(points.get(at)[column + 1]);
    }

    /** The index of the point at x, searched from the newest (points are in x order), or -1. */
    private int indexOf(double x) {
        for (int i = points.size() - 1; i >= 0; i--) {
            double at = points.get(i)[0];
            if (at == x) return i;
            if (at < x) break;
        }
        return -1;
    }

    synchronized int size() {
        return points.size();
    }

    /**
     * Column-wise arrays, as uPlot takes them: {@code {"x": [...], "col": [...], ...}}; a value not
     * measured (NaN) is null, a gap in the line, since JSON has no NaN.
     */
    synchronized Map<String, Double[]> columns() {
        Map<String, Double[]> out = new LinkedHashMap<>();
        for (int c = 0; c <= columns.length; c++) {
            Double[] values = new Double[points.size()];
            for (int i = 0; i < values.length; i++) {
                double v = points.get(i)[c];
                values[i] = Double.isFinite(v) ? v : null;
            }
            out.put(c == 0 ? "x" : columns[c - 1], values);
        }
        return out;
    }
}
