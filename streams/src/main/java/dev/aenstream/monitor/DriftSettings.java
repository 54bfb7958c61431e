package dev.aenstream.monitor;

/**
 * The drift tests' settings for a dictionary of {@code features} features, and the figures derived
 * from them: the CUSUM threshold that bounds the false alarms, and the confidence of each feature's
 * reference bounds (docs/monitoring.md, "Drift").
 */
public record DriftSettings(
        long referenceTokens,
        long blockTokens,
        double ratio,
        double falseAlarmsPerMillion,
        double referenceMiss,
        DriftReference reference,
        long features) {

    public static DriftSettings of(MonitorConfig config, long features) {
        return new DriftSettings(
                config.get(MonitorConfig.DRIFT_REFERENCE_TOKENS),
                config.get(MonitorConfig.DRIFT_BLOCK_TOKENS),
                config.get(MonitorConfig.DRIFT_RATIO),
                config.get(MonitorConfig.DRIFT_FALSE_ALARMS),
                config.get(MonitorConfig.DRIFT_REFERENCE_MISS),
                config.get(MonitorConfig.DRIFT_REFERENCE),
                features);
    }

    boolean rolling() {
        return reference == DriftReference.ROLLING;
    }

    boolean pinned() {
        return reference == DriftReference.PINNED;
    }

    /**
     * The CUSUM threshold h. Under the null each test's time to a false alarm is at least e^h
     * blocks on average (Lorden 1971), and a block holds at least {@code blockTokens} tokens, so
     * the 2D tests together raise at most 2D e^-h / blockTokens false alarms per token: h is chosen
     * to make that the configured rate.
     */
    public double threshold() {
        return Math.log(2.0 * features * 1e6 / (falseAlarmsPerMillion * blockTokens));
    }

    /**
     * z of the reference bounds: a sub-Gaussian tail bound with Bonferroni over the 2D bounds, so
     * that all of them hold the true densities with probability at least 1 - referenceMiss.
     */
    double referenceZ() {
        return Math.sqrt(2 * Math.log(2.0 * features / referenceMiss));
    }

    /**
     * Lower and upper bounds on a density from {@code fires} in {@code tokens} (the Wilson-style
     * score interval of a Poisson count): the up test takes the upper bound as its null and the
     * down test the lower, so an estimate that errs makes each test quieter, not louder.
     */
    static double[] rateBounds(long fires, long tokens, double z) {
        double centre = fires + z * z / 2;
        double spread = z * Math.sqrt(fires + z * z / 4);
        return new double[] {Math.max(0, centre - spread) / tokens, (centre + spread) / tokens};
    }

    /**
     * Log-likelihood ratio of {@code fires} fires in {@code tokens} tokens under density p1 against
     * p0 (Bernoulli tokens); 0 when the alternative is not a density.
     */
    static double llr(long fires, double tokens, double p0, double p1) {
        if (!(p1 < 1) || !(p0 < 1) || p0 <= 0) return 0;
        return fires * Math.log(p1 / p0) + (tokens - fires) * Math.log1p(-(p1 - p0) / (1 - p0));
    }
}
