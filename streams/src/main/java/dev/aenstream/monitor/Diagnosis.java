package dev.aenstream.monitor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Why a feature starved, read from its cross-leverage h_j(A) against the active sets of recent rows
 * (docs/monitoring.md, "Diagnosis"): at or above {@link #SHADOWED} the active atoms' span explains
 * most of its atom, so it is shadowed (the paper's geometric starvation); below, no active atom
 * covers it, and the data simply did not ask for it.
 */
public final class Diagnosis {
    /** Cross-leverage from which a dead feature counts as shadowed. */
    public static final double SHADOWED = 0.5;

    private Diagnosis() {}

    /** The cross-leverage of each feature in {@code ids}, or null when none was measured. */
    public static List<Float> leverages(List<Integer> ids, double[] crossLeverage) {
        if (crossLeverage == null) return null;
        List<Float> out = new ArrayList<>(ids.size());
        for (int j : ids) {
            double h = j < crossLeverage.length ? crossLeverage[j] : Double.NaN;
            out.add(Double.isNaN(h) ? Float.NaN : (float) h);
        }
        return out;
    }

    /** The diagnosis of one dead feature from its cross-leverage, or null when not measured. */
    public static String of(double crossLeverage) {
        if (Double.isNaN(crossLeverage)) return null;
        return crossLeverage >= SHADOWED
                ? "shadowed by active atoms (the paper's geometric starvation)"
                : "uncovered: no active atom covers it, the data did not ask for it";
    }

    /** ": k shadowed (h >= 0.5), m uncovered, mean h x", or "" when nothing was measured. */
    public static String summary(List<Integer> ids, double[] crossLeverage) {
        List<Float> h = leverages(ids, crossLeverage);
        if (h == null || h.isEmpty()) return "";
        int shadowed = 0;
        int measured = 0;
        double sum = 0;
        for (float v : h) {
            if (Float.isNaN(v)) continue;
            measured++;
            sum += v;
            if (v >= SHADOWED) shadowed++;
        }
        if (measured == 0) return "";
        return String.format(
                Locale.ROOT,
                "; %d shadowed by active atoms (cross-leverage >= %.1f), %d uncovered; mean"
                        + " cross-leverage %.2f",
                shadowed,
                SHADOWED,
                measured - shadowed,
                sum / measured);
    }
}
