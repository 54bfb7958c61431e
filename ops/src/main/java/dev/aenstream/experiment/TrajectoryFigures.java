package dev.aenstream.experiment;

import java.awt.BasicStroke;
import java.awt.Rectangle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/**
 * The runs over training: per rho, dead share, L0 and lambda1 against the step, one line per
 * architecture (the run of the lowest seed), from each run's {@code trajectory}. They show when a
 * run's L0 was matched and when its features died (docs/experiments.md, "When L0 is matched").
 */
final class TrajectoryFigures {
    /**
     * One figure per rho: which trajectory field, its axis, and whether the axis is logarithmic.
     */
    record Metric(String field, String axis, boolean log) {}

    static final List<Metric> METRICS =
            List.of(
                    new Metric("dead_pct", "dead %", false),
                    new Metric("l0", "L0", true),
                    new Metric("lambda1", "lambda1", true));

    private TrajectoryFigures() {}

    /**
     * Writes {@code trajectory-FIELD-rhoRHO.svg} and {@code .png} per metric and rho into {@code
     * dir}; returns the SVG elements for the report, by file stem, and adds the files to {@code
     * files}.
     */
    static Map<String, String> write(
            Path dir, List<Map<String, Object>> runs, List<String> archs, List<Path> files)
            throws IOException {
        Map<String, String> svgs = new LinkedHashMap<>();
        TreeSet<Double> rhos = new TreeSet<>();
        for (Map<String, Object> r : runs) rhos.add(((Number) r.get("rho")).doubleValue());
        for (double rho : rhos) {
            Map<String, Map<String, Object>> byArch = lowestSeed(runs, rho);
            for (Metric m : METRICS) {
                JFreeChart chart = chart(m, rho, byArch, archs);
                if (chart == null) continue;
                String stem =
                        String.format(
                                Locale.ROOT,
                                "trajectory-%s-rho%s",
                                m.field(),
                                StarvationExperiment.RunSpec.trim(rho));
                SVGGraphics2D g =
                        new SVGGraphics2D(ExperimentReport.WIDTH, ExperimentReport.HEIGHT);
                chart.draw(g, new Rectangle(0, 0, ExperimentReport.WIDTH, ExperimentReport.HEIGHT));
                Path svg = dir.resolve(stem + ".svg");
                Files.writeString(svg, g.getSVGDocument(), StandardCharsets.UTF_8);
                Path png = dir.resolve(stem + ".png");
                ChartUtils.saveChartAsPNG(
                        png.toFile(), chart, ExperimentReport.WIDTH, ExperimentReport.HEIGHT);
                files.add(svg);
                files.add(png);
                svgs.put(stem, g.getSVGElement());
            }
        }
        return svgs;
    }

    /** Per architecture, the run at {@code rho} with the lowest seed. */
    private static Map<String, Map<String, Object>> lowestSeed(
            List<Map<String, Object>> runs, double rho) {
        Map<String, Map<String, Object>> byArch = new LinkedHashMap<>();
        runs.stream()
                .filter(r -> ((Number) r.get("rho")).doubleValue() == rho)
                .sorted(Comparator.comparingLong(r -> ((Number) r.get("seed")).longValue()))
                .forEach(r -> byArch.putIfAbsent((String) r.get("arch"), r));
        return byArch;
    }

    @SuppressWarnings("unchecked")
    private static JFreeChart chart(
            Metric m, double rho, Map<String, Map<String, Object>> byArch, List<String> archs) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < archs.size(); i++) {
            Map<String, Object> run = byArch.get(archs.get(i));
            if (run == null || !(run.get("trajectory") instanceof List<?> points)) continue;
            XYSeries s = new XYSeries(archs.get(i));
            for (Object p : points)
                if (((Map<String, Object>) p).get(m.field()) instanceof Number v
                        && (!m.log() || v.doubleValue() > 0))
                    s.add(
                            ((Number) ((Map<String, Object>) p).get("step")).doubleValue(),
                            v.doubleValue());
            if (s.getItemCount() == 0) continue;
            renderer.setSeriesPaint(
                    data.getSeriesCount(),
                    ExperimentReport.PALETTE[i % ExperimentReport.PALETTE.length]);
            renderer.setSeriesStroke(data.getSeriesCount(), new BasicStroke(2f));
            data.addSeries(s);
        }
        if (data.getSeriesCount() == 0) return null;
        ValueAxis y = m.log() ? new LogAxis(m.axis()) : new NumberAxis(m.axis());
        XYPlot plot = new XYPlot(data, new NumberAxis("step"), y, renderer);
        return ExperimentReport.styled(
                String.format(
                        Locale.ROOT,
                        "%s over training, rho %s",
                        m.axis(),
                        StarvationExperiment.RunSpec.trim(rho)),
                plot);
    }
}
