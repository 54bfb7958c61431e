package dev.aenstream.experiment;

import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.ElasticNet;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.Penalty;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.setting.Setting;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The grid the {@link Protocol#GRID} protocol tries per architecture: the authors' spiked-data
 * sweep (../shared/spec/reference-results.md, "Their grid"), with ghost at L1's lambda1 values and
 * AuxK at TopK's k, the two remedies they did not run. A larger grid wins more often by chance, so
 * the report says how many configurations each architecture had.
 */
public final class DeclaredGrid {
    /**
     * One configuration of the grid.
     *
     * @param label its settings as {@code key=value,...}, part of the run's key
     * @param settings the settings it fixes, over the preset's
     */
    public record Point(String label, Map<Setting<?>, Number> settings) {}

    static final List<Double> LAMBDA1 = List.of(0.01, 0.005, 0.001);
    static final List<Double> L1_LAMBDA1 = List.of(0.01, 0.005, 0.001, 0.0005);
    static final List<Double> LAMBDA2 = List.of(1e-3, 5e-4, 1e-4);
    static final List<Double> GAMMA = List.of(0.5, 1.0);
    static final List<Double> BETA = List.of(0.999, 0.9999);
    static final List<Double> P = List.of(0.05, 0.01);
    static final List<Integer> K = List.of(8, 16, 32, 64, 128);

    private DeclaredGrid() {}

    /** The authors' grid for {@code arch}, in their order. */
    public static List<Point> authors(Penalty arch) {
        Map<Setting<?>, List<? extends Number>> a = new LinkedHashMap<>();
        switch (arch.label()) {
            case "l1", "ghost" -> a.put(Penalised.LAMBDA1, L1_LAMBDA1);
            case "elastic" -> {
                a.put(Penalised.LAMBDA1, LAMBDA1);
                a.put(ElasticNet.LAMBDA2, LAMBDA2);
            }
            case "alasso", "aen" -> {
                a.put(Penalised.LAMBDA1, LAMBDA1);
                if (arch.label().equals("aen")) a.put(ElasticNet.LAMBDA2, LAMBDA2);
                a.put(AdaptiveWeights.GAMMA, GAMMA);
                a.put(AdaptiveWeights.BETA, BETA);
                a.put(AdaptiveWeights.P, P);
            }
            case "topk", "auxk" -> a.put(TopK.K, K);
            default ->
                    throw new IllegalArgumentException(
                            "no declared grid for architecture " + arch.label());
        }
        return product(a);
    }

    /** Every combination of the axes, the first axis slowest. */
    private static List<Point> product(Map<Setting<?>, List<? extends Number>> axes) {
        List<Map<Setting<?>, Number>> points = new ArrayList<>();
        points.add(new LinkedHashMap<>());
        for (Map.Entry<Setting<?>, List<? extends Number>> axis : axes.entrySet()) {
            List<Map<Setting<?>, Number>> next = new ArrayList<>();
            for (Map<Setting<?>, Number> p : points)
                for (Number v : axis.getValue()) {
                    Map<Setting<?>, Number> q = new LinkedHashMap<>(p);
                    q.put(axis.getKey(), v);
                    next.add(q);
                }
            points = next;
        }
        List<Point> out = new ArrayList<>();
        for (Map<Setting<?>, Number> p : points) out.add(new Point(label(p), Map.copyOf(p)));
        return out;
    }

    private static String label(Map<Setting<?>, Number> settings) {
        List<String> parts = new ArrayList<>();
        settings.forEach(
                (s, v) ->
                        parts.add(
                                s.name()
                                        + "="
                                        + (v instanceof Double d
                                                ? BigDecimal.valueOf(d)
                                                        .stripTrailingZeros()
                                                        .toPlainString()
                                                : v.toString())));
        return String.join(",", parts);
    }
}
