package dev.aenstream.sae.penalty;

import java.util.Map;

/**
 * A penalty's part of one training step's graph (docs/aen-sae.md): which codes are active, the
 * penalty's loss terms, the gradient that reaches the codes, any gradients of its own, and the
 * state it writes back. The step's graph calls these in its order and does the rest.
 */
public interface StepTerms {
    /** The name of the output that carries state input {@code name} into the next step. */
    static String next(String name) {
        return "new_" + name;
    }

    /** Active features (boolean [B, D]) and the codes h [B, D] from the pre-activations. */
    record Codes(String active, String h) {}

    /**
     * The forward pass a penalty reads: input x, centred input xc, pre-activations, codes h, error
     * e = xhat - x, column sums and means of h, rows each feature fired on, batch size B and B * n
     * as reals, and the encoder and decoder.
     */
    record Forward(
            String x,
            String xc,
            String pre,
            String h,
            String e,
            String colSumH,
            String meanAbsH,
            String fireCounts,
            String batch,
            String batchN,
            String wEnc,
            String bEnc,
            String wDec) {}

    /**
     * The L1 and L2 terms, and any further term of the loss (the ghost proxy's), else null; zero
     * terms are reported as 0.
     */
    record Loss(String l1, String l2, String extra) {}

    Codes codes(String pre);

    Loss loss(Forward f);

    /** d loss / d h: the reconstruction's share {@code dXhat W_dec} plus the penalty's. */
    String dH(Forward f, String dXhat);

    /** Gradients of the penalty's own (the ghost proxy's), by parameter, added to the step's. */
    default Map<String, String> ownGradients() {
        return Map.of();
    }

    /**
     * Declares the penalty's outputs, its state's next values among them; a skipped step (loss or
     * gradient norm not finite) keeps the state by not taking them ({@code TrainStep}).
     */
    void outputs();
}
