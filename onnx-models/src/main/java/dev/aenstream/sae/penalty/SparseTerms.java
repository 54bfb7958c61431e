package dev.aenstream.sae.penalty;

import dev.aenstream.sae.setting.SettingValues;

/**
 * A penalty's part of the sparse training step (docs/aen-sae.md), as {@link StepTerms} is of the
 * dense graph: which codes are active, its loss terms from the batch's per-feature sums, its share
 * of the gradient on an active code, and the state it carries. The step does the rest.
 */
public interface SparseTerms {
    /**
     * The k of a TopK cut: each row's k-th largest pre-activation bounds its active codes; 0 when
     * every positive pre-activation is active.
     */
    int k();

    /**
     * Reads one batch of {@code rows} rows: per feature the sum of its codes, and the sum of all
     * squared codes; returns the L1 and L2 terms of the loss. {@code s} holds the settings as they
     * are now (lambda1 moves under matched sparsity).
     */
    double[] loss(SettingValues s, double[] colSumH, double sumSquaresH, int rows, double phi);

    /** The penalty's d loss / d h at an active code {@code h} of feature {@code j}. */
    double dH(int j, float h);

    /** The weights w_j this batch's terms used, before the ramp; null without adaptive weights. */
    float[] weights();

    /**
     * The state it carries ({@link Penalty#EMA}), or null; the step's result is kept when applied.
     */
    float[] ema();

    /** Starts from {@code ema} (a resume, or a fresh run). */
    void load(float[] ema);

    /** The step was applied: its state moves on. */
    void applied();

    /**
     * An auxiliary loss in which the features that have not fired for {@code deadTokens} tokens
     * reconstruct the main residual from each row's {@code kAux} largest of their codes, weighted
     * by {@code coef} (AuxK's; docs/aen-sae.md).
     */
    record DeadFeatureLoss(int kAux, double coef, double deadTokens) {}

    /** This penalty's auxiliary loss on dead features, or null (all but AuxK). */
    default DeadFeatureLoss deadFeatureLoss() {
        return null;
    }

    /**
     * The ghost-gradient proxy: from step {@code fromStep} on, the features whose firing EMA (decay
     * {@code beta}) is at or below {@code threshold} reconstruct the main residual from softplus of
     * their encoder's response to it, weighted by {@code scale} (docs/aen-sae.md).
     */
    record DeadFeatureProxy(double scale, double threshold, double beta, long fromStep) {}

    /** This penalty's ghost proxy, or null (all but ghost). */
    default DeadFeatureProxy deadFeatureProxy() {
        return null;
    }
}
