package dev.aenstream.cli.options;

import java.util.List;
import picocli.CommandLine.Option;

/** Whether a producer splices SAEs into its model as it runs, and which. */
public final class SpliceOptions {
    @Option(
            names = "--splice-share",
            paramLabel = "SHARE",
            description =
                    "Splice the newest version of each SAE (--splice-sae, else every one served for"
                        + " this hook) into this share of the batches, and publish what the model"
                        + " loses, per SAE and version, to the splice-figures topic that the"
                        + " monitor, the dashboard and Prometheus read (docs/evaluation.md). Each"
                        + " spliced batch costs one more forward pass, and two per SAE (default:"
                        + " off; for aen demo on a language model: 0.05).")
    Double share;

    @Option(
            names = "--splice-sae",
            paramLabel = "ID",
            split = ",",
            description = "SAEs to splice (comma-separated; default: every one served).")
    List<String> saes = List.of();

    /** The share asked for, else {@code fallback}; checked. */
    public double share(double fallback) {
        double s = share == null ? fallback : share;
        if (!(s >= 0 && s <= 1))
            throw new IllegalArgumentException("--splice-share must be in [0, 1], got " + s);
        return s;
    }

    /** Which SAEs are spliced, for a person. */
    public String which() {
        return saes.isEmpty() ? "every SAE served" : "SAEs " + String.join(", ", saes);
    }

    /** Whether {@code saeId} is to be spliced. */
    public boolean wanted(String saeId) {
        return saes.isEmpty() || saes.contains(saeId);
    }
}
