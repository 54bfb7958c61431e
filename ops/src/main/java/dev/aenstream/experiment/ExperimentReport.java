package dev.aenstream.experiment;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Rectangle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/**
 * Writes what an experiment found: every run as CSV and JSON, the paper's three figures (dead%, fve
 * and shrinkage against rho, one line per architecture, the authors' published runs dashed) as SVG
 * and PNG, and one self-contained HTML report.
 */
public final class ExperimentReport {
    /** Columns of runs.csv, in order. */
    public static final List<String> COLUMNS =
            List.of(
                    "key",
                    "preset",
                    "arch",
                    "rho",
                    "seed",
                    "target_l0",
                    "protocol",
                    "grid_point",
                    "l0",
                    "fve",
                    "dead_pct",
                    "shrinkage",
                    "recovery",
                    "coherence_mean",
                    "coherence_max",
                    "active_condition",
                    "leakage",
                    "dead_cross_leverage",
                    "lambda1",
                    "k",
                    "phi",
                    "dict_cos",
                    "support_f1",
                    "matched",
                    "steps",
                    "wall_s");

    /** A figure: which figure of a run it plots, its title and its y axis. */
    record Figure(String metric, String title, String axis, boolean published) {}

    static final List<Figure> FIGURES =
            List.of(
                    new Figure("dead_pct", "Dead features vs coherence", "dead %", true),
                    new Figure("fve", "Fraction of variance explained vs coherence", "fve", true),
                    new Figure(
                            "shrinkage",
                            "Shrinkage ||x̂||₁ / ||x||₁ vs coherence",
                            "shrinkage",
                            false));

    static final Color[] PALETTE = {
        new Color(0xd6, 0x27, 0x28),
        new Color(0x1f, 0x77, 0xb4),
        new Color(0x2c, 0xa0, 0x2c),
        new Color(0xff, 0x7f, 0x0e),
        new Color(0x94, 0x67, 0xbd),
        new Color(0x8c, 0x56, 0x4b),
        new Color(0x17, 0xbe, 0xcf),
    };

    static final int WIDTH = 640;
    static final int HEIGHT = 420;

    /**
     * What was written.
     *
     * @param report the HTML report
     * @param figures the SVG and PNG files
     * @param csv every run as CSV
     * @param json every run as JSON
     */
    public record Written(Path report, List<Path> figures, Path csv, Path json) {}

    private ExperimentReport() {}

    /**
     * Writes the report of {@code runs} (of one preset, target and protocol) into {@code dir}:
     * under {@link Protocol#GRID} its figures and tables show the run each cell's selection chose.
     */
    public static Written write(
            Path dir,
            List<Map<String, Object>> runs,
            StarvationPreset preset,
            double targetL0,
            Protocol protocol)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        Path csv = dir.resolve("runs.csv");
        Files.writeString(csv, csv(runs), StandardCharsets.UTF_8);
        Path json = dir.resolve("runs.json");
        RunStore.JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), runs);
        List<Path> files = new ArrayList<>();
        Map<String, String> svgs = new LinkedHashMap<>();
        List<String> archs = archs(runs, preset);
        List<Map<String, Object>> all = runs;
        if (protocol == Protocol.GRID) runs = GridSelection.select(runs, targetL0);
        for (Figure f : FIGURES) {
            JFreeChart chart = chart(f, runs, archs);
            SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
            chart.draw(g, new Rectangle(0, 0, WIDTH, HEIGHT));
            String svg = g.getSVGDocument();
            Path svgFile = dir.resolve(f.metric() + ".svg");
            Files.writeString(svgFile, svg, StandardCharsets.UTF_8);
            Path png = dir.resolve(f.metric() + ".png");
            ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
            files.add(svgFile);
            files.add(png);
            svgs.put(f.metric(), g.getSVGElement());
        }
        Map<String, String> trajectories = TrajectoryFigures.write(dir, runs, archs, files);
        Path report = dir.resolve("report.html");
        Files.writeString(
                report,
                html(new Shown(all, runs, protocol), archs, preset, targetL0, svgs, trajectories),
                StandardCharsets.UTF_8);
        return new Written(report, files, csv, json);
    }

    private static List<String> archs(List<Map<String, Object>> runs, StarvationPreset preset) {
        List<String> archs = new ArrayList<>();
        for (var a : preset.archs()) archs.add(a.label());
        for (Map<String, Object> r : runs)
            if (!archs.contains((String) r.get("arch"))) archs.add((String) r.get("arch"));
        return archs;
    }

    /** Mean of {@code metric} over seeds, per architecture and rho. */
    static Map<String, TreeMap<Double, Double>> means(
            List<Map<String, Object>> runs, String metric) {
        Map<String, TreeMap<Double, double[]>> sums = new LinkedHashMap<>();
        for (Map<String, Object> r : runs) {
            if (!(r.get(metric) instanceof Number v) || !Double.isFinite(v.doubleValue())) continue;
            double[] s =
                    sums.computeIfAbsent((String) r.get("arch"), a -> new TreeMap<>())
                            .computeIfAbsent(
                                    ((Number) r.get("rho")).doubleValue(), x -> new double[2]);
            s[0] += v.doubleValue();
            s[1]++;
        }
        Map<String, TreeMap<Double, Double>> means = new LinkedHashMap<>();
        sums.forEach(
                (arch, byRho) -> {
                    TreeMap<Double, Double> m = new TreeMap<>();
                    byRho.forEach((rho, s) -> m.put(rho, s[0] / s[1]));
                    means.put(arch, m);
                });
        return means;
    }

    private static JFreeChart chart(Figure f, List<Map<String, Object>> runs, List<String> archs) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        Map<String, TreeMap<Double, Double>> ours = means(runs, f.metric());
        int series = 0;
        for (int i = 0; i < archs.size(); i++) {
            String arch = archs.get(i);
            Color color = PALETTE[i % PALETTE.length];
            TreeMap<Double, Double> points = ours.get(arch);
            if (points != null) {
                XYSeries s = new XYSeries(arch);
                points.forEach(s::add);
                data.addSeries(s);
                renderer.setSeriesPaint(series, color);
                renderer.setSeriesStroke(series, new BasicStroke(2f));
                series++;
            }
            if (!f.published()) continue;
            XYSeries ref = new XYSeries(arch + " (paper)");
            for (ReferenceResults.Row r : ReferenceResults.SPIKED)
                if (r.arch().equals(arch))
                    ref.add(r.rho(), f.metric().equals("fve") ? r.fve() : r.deadPct());
            if (ref.getItemCount() == 0) continue;
            data.addSeries(ref);
            renderer.setSeriesPaint(series, color);
            renderer.setSeriesStroke(
                    series,
                    new BasicStroke(
                            1.2f,
                            BasicStroke.CAP_BUTT,
                            BasicStroke.JOIN_MITER,
                            10f,
                            new float[] {5f, 4f},
                            0f));
            renderer.setSeriesShapesVisible(series, false);
            series++;
        }
        NumberAxis x = new NumberAxis("rho (coherence of the true atoms)");
        x.setRange(-0.02, 0.92);
        NumberAxis y = new NumberAxis(f.axis());
        y.setAutoRangeIncludesZero(true);
        return styled(f.title(), new XYPlot(data, x, y, renderer));
    }

    /** A chart of {@code plot} on white with light grid lines, as every figure here is drawn. */
    static JFreeChart styled(String title, XYPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdd, 0xdd, 0xdd));
        plot.setRangeGridlinePaint(new Color(0xdd, 0xdd, 0xdd));
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /**
     * The runs a report is about: all it was given, those its tables and figures show (the chosen
     * ones under {@link Protocol#GRID}), and the protocol.
     */
    private record Shown(
            List<Map<String, Object>> all, List<Map<String, Object>> runs, Protocol protocol) {}

    static String csv(List<Map<String, Object>> runs) {
        StringBuilder out = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (Map<String, Object> r : runs) {
            List<String> cells = new ArrayList<>();
            for (String c : COLUMNS) cells.add(cell(r.get(c)));
            out.append(String.join(",", cells)).append('\n');
        }
        return out.toString();
    }

    private static String cell(Object v) {
        if (v == null) return "";
        String s = v.toString();
        if (s.contains(",") || s.contains("\"") || s.contains("\n"))
            return '"' + s.replace("\"", "\"\"") + '"';
        return s;
    }

    private static String html(
            Shown shown,
            List<String> archs,
            StarvationPreset preset,
            double targetL0,
            Map<String, String> svgs,
            Map<String, String> trajectories) {
        List<Map<String, Object>> runs = shown.runs();
        Map<String, TreeMap<Double, Double>> dead = means(runs, "dead_pct");
        Map<String, TreeMap<Double, Double>> fve = means(runs, "fve");
        Map<String, TreeMap<Double, Double>> l0 = means(runs, "l0");
        Map<String, TreeMap<Double, Double>> shrink = means(runs, "shrinkage");
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>Feature starvation on spiked data</title><style>")
                .append(
                        "body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0;font-size:13px}")
                .append("td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}")
                .append("th{background:#f3f3f3}td.l{text-align:left}.ref{color:#777}")
                .append(".figs{display:flex;flex-wrap:wrap;gap:12px}.miss{background:#fde}")
                .append("</style></head><body>");
        h.append("<h1>Feature starvation on spiked data</h1>");
        h.append("<p>")
                .append(
                        esc(
                                String.format(
                                        Locale.ROOT,
                                        "Preset %s: %,d steps of batch 256, n = 256, 1,024 true"
                                            + " atoms, k = 16 per row, warm-up %,d + %,d, beta %s,"
                                            + " gamma %s, p %s, lambda2 %s, dead window %,d steps,"
                                            + " b_dec started %s. Target L0 %s; protocol %s: %s"
                                            + " (TopK and AuxK with k = L0 but under the grid"
                                            + " protocol). Rows in pink missed the target by more"
                                            + " than 15%%. %d runs.",
                                        preset.name(),
                                        preset.steps(),
                                        preset.tWarm(),
                                        preset.tRamp(),
                                        preset.beta(),
                                        preset.gamma(),
                                        preset.p(),
                                        preset.lambda2(),
                                        preset.deadWindowSteps(),
                                        preset.centredStart()
                                                ? "at the mean of the first batch"
                                                : "at 0",
                                        StarvationExperiment.RunSpec.trim(targetL0),
                                        shown.protocol().label(),
                                        shown.protocol().description(),
                                        shown.all().size())))
                .append("</p>");
        h.append("<p class=\"ref\">")
                .append(
                        esc(
                                "Grey figures: the authors' best published run at that rho with L0"
                                        + " in [10, 24] (50,000 steps); – where none qualified."))
                .append("</p>");
        h.append(
                "<h2>dead% / fve / l0 / shrinkage, ours beside the"
                        + " paper's</h2><table><tr><th>arch</th>");
        List<Double> rhos = preset.rhos();
        for (double rho : rhos) h.append("<th colspan=\"2\">rho ").append(rho).append("</th>");
        h.append("</tr>");
        for (String arch : archs) {
            h.append("<tr><td class=\"l\">").append(esc(arch)).append("</td>");
            for (double rho : rhos) {
                ReferenceResults.Row ref = ReferenceResults.find(arch, rho);
                boolean undecided =
                        shown.protocol() == Protocol.GRID
                                && GridSelection.undecided(runs, arch, rho);
                h.append(undecided ? "<td class=\"miss\">no run in the band; nearest:<br>" : "<td>")
                        .append(fmt(get(dead, arch, rho), "%.1f%%"))
                        .append(" / ")
                        .append(fmt(get(fve, arch, rho), "%.2f"))
                        .append("<br>L0 ")
                        .append(fmt(get(l0, arch, rho), "%.1f"))
                        .append(" / ")
                        .append(fmt(get(shrink, arch, rho), "%.2f"))
                        .append("</td><td class=\"ref\">")
                        .append(
                                ref == null
                                        ? "–"
                                        : fmt(ref.deadPct(), "%.1f%%")
                                                + " / "
                                                + fmt(ref.fve(), "%.2f")
                                                + "<br>L0 "
                                                + fmt(ref.l0(), "%.1f"))
                        .append("</td>");
            }
            h.append("</tr>");
        }
        h.append("</table>");
        // A partly run grid's choice may still change: the verdict waits for complete cells.
        ReportTables.ordering(
                h,
                shown.protocol() == Protocol.GRID
                        ? means(GridSelection.decided(runs), "dead_pct")
                        : dead,
                rhos);
        if (shown.protocol() == Protocol.GRID) ReportTables.selection(h, runs, targetL0);
        h.append("<div class=\"figs\">");
        // The SVGs are drawn here from numbers, not copied from input, and hold no script.
        for (String svg : svgs.values()) h.append("<div>").append(svg).append("</div>");
        h.append("</div><h2>Over training</h2><div class=\"figs\">");
        for (String svg : trajectories.values()) h.append("<div>").append(svg).append("</div>");
        h.append("</div><h2>Every run</h2><table><tr>");
        for (String c : COLUMNS)
            if (!c.equals("key")) h.append("<th>").append(esc(c)).append("</th>");
        h.append("</tr>");
        for (Map<String, Object> r : shown.all()) {
            boolean miss = Boolean.FALSE.equals(r.get("matched"));
            h.append(miss ? "<tr class=\"miss\">" : "<tr>");
            for (String c : COLUMNS) {
                if (c.equals("key")) continue;
                Object v = r.get(c);
                h.append("<td")
                        .append(v instanceof String ? " class=\"l\"" : "")
                        .append(">")
                        .append(
                                v instanceof Double d
                                        ? fmt(d, "%.4g")
                                        : esc(v == null ? "" : v.toString()))
                        .append("</td>");
            }
            h.append("</tr>");
        }
        h.append("</table></body></html>\n");
        return h.toString();
    }

    static Double get(Map<String, TreeMap<Double, Double>> m, String arch, double rho) {
        TreeMap<Double, Double> byRho = m.get(arch);
        return byRho == null ? null : byRho.get(rho);
    }

    static String fmt(Double v, String format) {
        return v == null || !Double.isFinite(v) ? "–" : esc(String.format(Locale.ROOT, format, v));
    }

    /** HTML-escapes text: a run file is input, and nothing from it reaches the page unescaped. */
    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
