package dev.aenstream.experiment;

import static dev.aenstream.experiment.ExperimentReport.esc;
import static dev.aenstream.experiment.ExperimentReport.fmt;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The report's verdict tables: whether the paper's ordering of dead features holds at each rho, and
 * what the grid protocol's selection chose from how many configurations.
 */
final class ReportTables {
    /** The paper's claim, fewest dead first. */
    static final List<String> ORDER = List.of("aen", "l1", "topk");

    private ReportTables() {}

    /**
     * Per rho, dead% of aen, l1 and topk (means over seeds), ours and the authors', and whether aen
     * &lt; l1 &lt; topk holds in each.
     */
    static void ordering(
            StringBuilder h, Map<String, TreeMap<Double, Double>> dead, List<Double> rhos) {
        h.append("<h2>Does AEN &lt; L1 &lt; TopK hold (dead%)?</h2><table><tr><th>rho</th>");
        for (String a : ORDER) h.append("<th>").append(a).append("</th>");
        h.append("<th>ours</th>");
        for (String a : ORDER) h.append("<th class=\"ref\">").append(a).append(" (paper)</th>");
        h.append("<th class=\"ref\">paper</th></tr>");
        for (double rho : rhos) {
            h.append("<tr><td>").append(rho).append("</td>");
            Double[] ours = new Double[ORDER.size()];
            Double[] paper = new Double[ORDER.size()];
            for (int i = 0; i < ORDER.size(); i++) {
                ours[i] = ExperimentReport.get(dead, ORDER.get(i), rho);
                ReferenceResults.Row ref = ReferenceResults.find(ORDER.get(i), rho);
                paper[i] = ref == null ? null : ref.deadPct();
                h.append("<td>").append(fmt(ours[i], "%.1f%%")).append("</td>");
            }
            h.append("<td class=\"l\">").append(esc(holds(ours))).append("</td>");
            for (Double p : paper)
                h.append("<td class=\"ref\">").append(fmt(p, "%.1f%%")).append("</td>");
            h.append("<td class=\"l ref\">").append(esc(holds(paper))).append("</td></tr>");
        }
        h.append("</table>");
    }

    /** "holds", "no: l1 ≤ aen", or "–" where a figure is missing. */
    static String holds(Double[] dead) {
        for (Double d : dead) if (d == null) return "–";
        for (int i = 0; i + 1 < dead.length; i++)
            if (!(dead[i] < dead[i + 1]))
                return String.format(
                        Locale.ROOT,
                        "no: %s %.1f%% ≤ %s %.1f%%",
                        ORDER.get(i + 1),
                        dead[i + 1],
                        ORDER.get(i),
                        dead[i]);
        return "holds";
    }

    /** What the selection chose per architecture and rho, from how many configurations. */
    static void selection(StringBuilder h, List<Map<String, Object>> chosen, double targetL0) {
        h.append("<h2>The grid protocol's choices</h2><p>")
                .append(
                        esc(
                                String.format(
                                        Locale.ROOT,
                                        "Per architecture, rho and seed: the run with the fewest"
                                            + " dead features among those with L0 in [%.1f, %.1f]."
                                            + " An architecture with more configurations has more"
                                            + " chances to find a run that happens to starve"
                                            + " little, so compare the counts. A cell not yet tried"
                                            + " in full shows its choice so far, and the ordering"
                                            + " above leaves it out, as it does a cell with no run"
                                            + " in the band (no choice under this rule: the figures"
                                            + " shown are its nearest run's).",
                                        GridSelection.BAND_LOW * targetL0,
                                        GridSelection.BAND_HIGH * targetL0)))
                .append("</p><table><tr><th>arch</th><th>rho</th><th>seed</th>")
                .append("<th>configurations</th><th>in band</th><th>chosen</th>")
                .append("<th>dead%</th><th>fve</th><th>l0</th></tr>");
        for (Map<String, Object> r : chosen) {
            boolean ok = Boolean.TRUE.equals(r.get("chosen"));
            h.append(ok ? "<tr>" : "<tr class=\"miss\">");
            for (String c : List.of("arch", "rho", "seed"))
                h.append("<td class=\"l\">").append(esc(String.valueOf(r.get(c)))).append("</td>");
            boolean complete = !Boolean.FALSE.equals(r.get("complete"));
            h.append("<td class=\"l\">")
                    .append(esc(r.get("configurations") + " of " + r.get("declared")))
                    .append("</td><td class=\"l\">")
                    .append(esc(String.valueOf(r.get("in_band"))))
                    .append("</td><td class=\"l\">")
                    .append(
                            esc(
                                    ok
                                            ? String.valueOf(r.get("grid_point"))
                                            : "none in the band; nearest: " + r.get("grid_point")))
                    .append(complete ? "" : " (so far)")
                    .append("</td>");
            for (String c : List.of("dead_pct", "fve", "l0"))
                h.append("<td>")
                        .append(fmt(r.get(c) instanceof Number n ? n.doubleValue() : null, "%.3g"))
                        .append("</td>");
            h.append("</tr>");
        }
        h.append("</table>");
    }
}
