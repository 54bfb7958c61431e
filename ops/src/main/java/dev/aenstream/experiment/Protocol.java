package dev.aenstream.experiment;

import dev.aenstream.sae.train.SparsityTarget;
import java.util.Arrays;
import java.util.Locale;

/**
 * How a starvation run's sparsity is chosen (docs/experiments.md, "When L0 is matched"). TopK and
 * AuxK take k = target L0 under every protocol but {@link #GRID}, which tries the k of its grid.
 */
public enum Protocol {
    /** lambda1 moved towards the target L0 from the first step to the last. */
    MATCHED("matched", "lambda1 moved every 50 steps towards the target L0 from the first step"),

    /** lambda1 held at its start until the warm-up ends, then moved towards the target. */
    AFTER_WARMUP(
            "after-warmup",
            "lambda1 held at its start until the warm-up ends (T_warm), then moved every 50 steps"
                    + " towards the target L0"),

    /** lambda1 held at the authors' best value for the whole run: L0 lands where it lands. */
    FIXED(
            "fixed",
            "lambda1 held at the authors' best value (0.001 adaptive, 0.005 otherwise) for the"
                    + " whole run"),

    /**
     * The authors' protocol: every configuration of a declared grid at fixed settings, then per
     * architecture and rho the run with the fewest dead features among those whose L0 lies in the
     * band.
     */
    GRID(
            "grid",
            "every configuration of the declared grid at fixed settings; per architecture and rho"
                    + " the run with the fewest dead features among those with L0 in the band");

    private final String label;
    private final String description;

    Protocol(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** The name on the command line and in run keys. */
    public String label() {
        return label;
    }

    /** What it does, in a sentence for the report. */
    public String description() {
        return description;
    }

    /**
     * What a run's key gains: nothing for {@link #MATCHED}, so the runs of earlier versions keep
     * their keys.
     */
    String keySuffix() {
        return this == MATCHED ? "" : "/protocol=" + label;
    }

    /**
     * The controller of a penalised run's lambda1 (null: lambda1 stays where it starts), with the
     * preset's warm-up for {@link #AFTER_WARMUP}.
     */
    public SparsityTarget sparsity(double targetL0, StarvationPreset preset) {
        return switch (this) {
            case MATCHED -> SparsityTarget.of(targetL0);
            case AFTER_WARMUP -> SparsityTarget.tracking(targetL0, preset.tWarm());
            case FIXED, GRID -> null;
        };
    }

    public static Protocol parse(String text) {
        String want = text.trim().toLowerCase(Locale.ROOT);
        for (Protocol p : values()) if (p.label.equals(want)) return p;
        throw new IllegalArgumentException(
                "--protocol must be one of "
                        + String.join(", ", Arrays.stream(values()).map(Protocol::label).toList())
                        + ", got '"
                        + text
                        + "'");
    }
}
