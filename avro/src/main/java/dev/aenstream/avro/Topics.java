package dev.aenstream.avro;

import java.util.List;

/** Names of the topic set, all sharing one prefix (default {@value #DEFAULT_PREFIX}). */
public record Topics(String prefix) {
    public static final String DEFAULT_PREFIX = "aen.";

    /**
     * Largest record on the topics that carry matrices: a batch of a few thousand wide rows;
     * Kafka's default 1 MB is not enough.
     */
    public static final int MAX_MESSAGE_BYTES = 16 << 20;

    public Topics {
        if (prefix == null || !prefix.matches("[a-zA-Z0-9._-]*")) {
            throw new IllegalArgumentException(
                    "topic prefix may hold only letters, digits, '.', '_' and '-': " + prefix);
        }
    }

    public static Topics defaults() {
        return new Topics(DEFAULT_PREFIX);
    }

    public String activations() {
        return prefix + "activations";
    }

    public String codes() {
        return prefix + "codes";
    }

    public String featureStats() {
        return prefix + "feature-stats";
    }

    public String models() {
        return prefix + "models";
    }

    public String trainerMetrics() {
        return prefix + "trainer-metrics";
    }

    public String alerts() {
        return prefix + "alerts";
    }

    public String dlq() {
        return prefix + "dlq";
    }

    /** Compacted: the monitor's current state per SAE. */
    public String saeState() {
        return prefix + "sae-state";
    }

    /**
     * Compacted: each feature's top activating tokens per SAE version, with their text, in blocks
     * of features.
     */
    public String featureContexts() {
        return prefix + "feature-contexts";
    }

    /**
     * What the model loses with each SAE version spliced in, as the producers that splice measure
     * it (docs/evaluation.md).
     */
    public String spliceFigures() {
        return prefix + "splice-figures";
    }

    /**
     * Compacted, keyed by rule id: the features people watch, each followed through its SAE's
     * versions (docs/monitoring.md, "Watch rules").
     */
    public String watchRules() {
        return prefix + "watch-rules";
    }

    public List<String> all() {
        return List.of(
                activations(),
                codes(),
                featureStats(),
                models(),
                trainerMetrics(),
                alerts(),
                dlq(),
                saeState(),
                featureContexts(),
                spliceFigures(),
                watchRules());
    }
}
