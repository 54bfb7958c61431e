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
