package dev.aenstream.chaos;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * One process's samples over a soak and what they say: for each resource its first and last value
 * after the warm-up, its peak and its least-squares slope per hour. A leak is a slope that stays
 * when the run gets longer; a cache filling up is one that flattens.
 */
final class ResourceTrend {
    static final double MIB = 1024.0 * 1024.0;
    private static final double SECONDS_PER_HOUR = 3600.0;

    private final List<ProcessProbe.Sample> samples = new ArrayList<>();
    private final double warmUpSeconds;

    ResourceTrend(double warmUpSeconds) {
        this.warmUpSeconds = warmUpSeconds;
    }

    void add(ProcessProbe.Sample s) {
        samples.add(s);
    }

    List<ProcessProbe.Sample> samples() {
        return List.copyOf(samples);
    }

    /** Per resource (live heap and RSS in MiB, threads, open files): first, last, peak, slope. */
    Map<String, Object> summary() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("samples", samples.size());
        out.put(
                "live_heap_mib",
                figures(s -> s.liveHeapBytes() < 0 ? Double.NaN : s.liveHeapBytes() / MIB));
        out.put("rss_mib", figures(s -> s.rssBytes() < 0 ? Double.NaN : s.rssBytes() / MIB));
        out.put("threads", figures(s -> s.threads() < 0 ? Double.NaN : s.threads()));
        out.put("open_files", figures(s -> s.openFiles() < 0 ? Double.NaN : s.openFiles()));
        return out;
    }

    private Map<String, Object> figures(ToDoubleFunction<ProcessProbe.Sample> value) {
        List<double[]> points = new ArrayList<>();
        double peak = Double.NaN;
        for (ProcessProbe.Sample s : samples) {
            double v = value.applyAsDouble(s);
            if (Double.isNaN(v)) continue;
            peak = Double.isNaN(peak) ? v : Math.max(peak, v);
            if (s.atSeconds() >= warmUpSeconds) points.add(new double[] {s.atSeconds(), v});
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("first", points.isEmpty() ? null : round(points.get(0)[1]));
        out.put("last", points.isEmpty() ? null : round(points.get(points.size() - 1)[1]));
        out.put("peak", Double.isNaN(peak) ? null : round(peak));
        double slope = slopePerSecond(points);
        out.put("slope_per_hour", Double.isNaN(slope) ? null : round(slope * SECONDS_PER_HOUR));
        return out;
    }

    /** Least-squares slope of (t, v) points; NaN for fewer than two distinct times. */
    static double slopePerSecond(List<double[]> points) {
        int n = points.size();
        if (n < 2) return Double.NaN;
        double mt = 0, mv = 0;
        for (double[] p : points) {
            mt += p[0] / n;
            mv += p[1] / n;
        }
        double stt = 0, stv = 0;
        for (double[] p : points) {
            stt += (p[0] - mt) * (p[0] - mt);
            stv += (p[0] - mt) * (p[1] - mv);
        }
        return stt == 0 ? Double.NaN : stv / stt;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
