package dev.aenstream.sae;

import java.util.Locale;

/**
 * The SAE architectures the trainer runs (docs/aen-sae.md's AEN-SAE and its baselines), all with
 * the same shapes: they differ in the penalty on the codes.
 */
public enum Arch {
    /**
     * Adaptive elastic net: lambda1 * sum wt_j |h_j| + lambda2 * sum h_j^2, wt ramped in after
     * warm-up.
     */
    AEN(true, true),
    /** Vanilla L1: lambda2 = 0, wt = 1. */
    L1(false, false),
    /** Elastic net: wt = 1. */
    ELASTIC(false, true),
    /** Adaptive lasso: lambda2 = 0. */
    ALASSO(true, false),
    /** TopK: keep the k largest ReLU pre-activations per row; the loss is MSE only. */
    TOPK(false, false),
    /**
     * Vanilla L1 plus the ghost-gradient proxy loss for persistently dead features, the baseline
     * the authors run on Llama (docs/aen-sae.md, "Ghost gradients").
     */
    GHOST(false, false, true);

    private final boolean adaptive;
    private final boolean l2;
    private final boolean ghost;

    Arch(boolean adaptive, boolean l2) {
        this(adaptive, l2, false);
    }

    Arch(boolean adaptive, boolean l2, boolean ghost) {
        this.adaptive = adaptive;
        this.l2 = l2;
        this.ghost = ghost;
    }

    /** Whether the ghost-gradient proxy loss applies. */
    public boolean ghost() {
        return ghost;
    }

    /** Whether the L1 term uses adaptive weights (else wt = 1). */
    public boolean adaptive() {
        return adaptive;
    }

    /** Whether the L2 (elastic net) term applies (else lambda2 = 0). */
    public boolean l2() {
        return l2;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses aen, l1, elastic, alasso, topk or ghost. */
    public static Arch parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "architecture must be aen, l1, elastic, alasso, topk or ghost, got '"
                            + text
                            + "'");
        }
    }
}
