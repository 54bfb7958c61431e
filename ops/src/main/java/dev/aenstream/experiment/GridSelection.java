package dev.aenstream.experiment;

import dev.aenstream.sae.penalty.Penalties;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The authors' selection rule over a declared grid's runs: per architecture, rho and seed, among
 * the runs whose L0 lies in the band, the one with the fewest dead features (the higher fve on a
 * tie). The band is theirs, [10, 24] at their k = 16, scaled to the target L0.
 */
public final class GridSelection {
    /** The band's ends as shares of the target L0: [10, 24] at 16. */
    public static final double BAND_LOW = 10.0 / 16;

    public static final double BAND_HIGH = 24.0 / 16;

    private GridSelection() {}

    /** Whether {@code l0} lies in the band around {@code targetL0}. */
    public static boolean inBand(double l0, double targetL0) {
        return l0 >= BAND_LOW * targetL0 && l0 <= BAND_HIGH * targetL0;
    }

    /**
     * The chosen run of each architecture, rho and seed, in the order the runs first name them,
     * each a copy with {@code configurations} (runs tried), {@code declared} (the grid's size),
     * {@code complete} (all of it tried: a partly run grid's choice may still change) and {@code
     * in_band} (runs in the band) added; a cell none of whose runs is in the band is chosen from
     * nothing and reported with {@code chosen} false and the figures of its run nearest the band.
     */
    public static List<Map<String, Object>> select(
            List<Map<String, Object>> runs, double targetL0) {
        Map<String, List<Map<String, Object>>> cells = new LinkedHashMap<>();
        for (Map<String, Object> r : runs)
            cells.computeIfAbsent(
                            r.get("arch") + "/" + r.get("rho") + "/" + r.get("seed"),
                            k -> new ArrayList<>())
                    .add(r);
        List<Map<String, Object>> chosen = new ArrayList<>();
        for (List<Map<String, Object>> cell : cells.values()) {
            List<Map<String, Object>> band =
                    cell.stream().filter(r -> inBand(number(r, "l0"), targetL0)).toList();
            Map<String, Object> pick =
                    band.isEmpty()
                            ? cell.stream()
                                    .min(
                                            Comparator.comparingDouble(
                                                    r -> distance(number(r, "l0"), targetL0)))
                                    .orElseThrow()
                            : band.stream()
                                    .min(
                                            Comparator.<Map<String, Object>>comparingDouble(
                                                            r -> number(r, "dead_pct"))
                                                    .thenComparing(r -> -number(r, "fve")))
                                    .orElseThrow();
            Map<String, Object> row = new LinkedHashMap<>(pick);
            row.put("configurations", cell.size());
            int declared =
                    Penalties.find(String.valueOf(pick.get("arch")))
                            .map(a -> DeclaredGrid.authors(a).size())
                            .orElse(cell.size());
            row.put("declared", declared);
            row.put("complete", cell.size() >= declared);
            row.put("in_band", band.size());
            row.put("chosen", !band.isEmpty());
            chosen.add(row);
        }
        return chosen;
    }

    /**
     * The choices the ordering may rest on: cells whose grid was tried in full and which have a run
     * in the band (a cell without one has no choice under the authors' rule, whatever its nearest
     * run shows).
     */
    public static List<Map<String, Object>> decided(List<Map<String, Object>> chosen) {
        return chosen.stream()
                .filter(r -> Boolean.TRUE.equals(r.get("complete")))
                .filter(r -> Boolean.TRUE.equals(r.get("chosen")))
                .toList();
    }

    /** Whether a cell of {@code arch} at {@code rho} shows its nearest run, having none in band. */
    public static boolean undecided(List<Map<String, Object>> chosen, String arch, double rho) {
        return chosen.stream()
                .anyMatch(
                        r ->
                                arch.equals(r.get("arch"))
                                        && number(r, "rho") == rho
                                        && Boolean.FALSE.equals(r.get("chosen")));
    }

    /** How far {@code l0} lies outside the band, 0 inside it. */
    private static double distance(double l0, double targetL0) {
        return Math.max(0, Math.max(BAND_LOW * targetL0 - l0, l0 - BAND_HIGH * targetL0));
    }

    private static double number(Map<String, Object> r, String field) {
        return r.get(field) instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
