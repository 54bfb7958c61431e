package dev.aenstream.experiment;

import java.util.List;

/**
 * The authors' published best runs on spiked data (n = 256, 1,024 atoms, k = 16, 50,000 steps, best
 * run per architecture and rho among those with L0 in [10, 24]), read from their run summaries; see
 * docs/experiments.md. Nothing here was run by this project.
 */
public final class ReferenceResults {
    /**
     * One published run.
     *
     * @param arch our label of the architecture
     * @param rho coherence of the true dictionary
     * @param l0 its L0
     * @param deadPct its dead%
     * @param fve its fraction of variance explained
     */
    public record Row(String arch, double rho, double l0, double deadPct, double fve) {}

    public static final List<Row> SPIKED =
            List.of(
                    new Row("aen", 0.0, 14.5, 0.0, 0.555),
                    new Row("aen", 0.3, 18.2, 0.2, 0.554),
                    new Row("aen", 0.5, 14.4, 1.3, 0.351),
                    new Row("aen", 0.7, 21.6, 12.3, 0.601),
                    new Row("aen", 0.9, 21.5, 38.4, 0.619),
                    new Row("alasso", 0.0, 15.0, 0.0, 0.569),
                    new Row("alasso", 0.3, 23.6, 1.3, 0.430),
                    new Row("alasso", 0.7, 18.0, 18.5, 0.645),
                    new Row("alasso", 0.9, 16.7, 48.5, 0.655),
                    new Row("elastic", 0.0, 22.5, 1.3, 0.683),
                    new Row("elastic", 0.3, 21.4, 10.1, 0.479),
                    new Row("elastic", 0.5, 15.7, 24.1, 0.380),
                    new Row("elastic", 0.9, 12.4, 80.6, 0.267),
                    new Row("topk", 0.0, 16.0, 4.7, 0.691),
                    new Row("topk", 0.3, 16.0, 96.4, 0.161),
                    new Row("topk", 0.5, 15.9, 95.5, 0.181),
                    new Row("topk", 0.7, 16.0, 96.2, 0.241),
                    new Row("topk", 0.9, 14.9, 97.5, 0.450),
                    new Row("l1", 0.0, 21.4, 1.6, 0.712),
                    new Row("l1", 0.3, 18.3, 11.0, 0.516),
                    new Row("l1", 0.5, 14.0, 27.0, 0.394));

    private ReferenceResults() {}

    /** The published run of {@code arch} at {@code rho}, or null when none had L0 in [10, 24]. */
    public static Row find(String arch, double rho) {
        for (Row r : SPIKED) if (r.arch().equals(arch) && Math.abs(r.rho() - rho) < 1e-9) return r;
        return null;
    }
}
