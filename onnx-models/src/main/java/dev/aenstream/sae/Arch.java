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
    TOPK(false, false);

    private final boolean adaptive;
    private final boolean l2;

    Arch(boolean adaptive, boolean l2) {
        this.adaptive = adaptive;
        this.l2 = l2;
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

    /** Parses aen, l1, elastic, alasso or topk. */
    public static Arch parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "architecture must be aen, l1, elastic, alasso or topk, got '" + text + "'");
        }
    }
}
