package dev.aenstream.sae.train;

/**
 * What one training step reports: whether it was applied (a non-finite loss or gradient skips it),
 * the loss terms, the batch's {@code l0} and {@code fve}, the global gradient norm before clipping,
 * and per-feature batch statistics (arrays of D). {@code w} is null for TopK; {@code auxLoss} is
 * the auxiliary loss of a dead-feature remedy, the ghost proxy's or AuxK's (part of {@code loss}; 0
 * for the other architectures).
 */
public record StepResult(
        long step,
        boolean applied,
        int rows,
        double mse,
        double l1,
        double l2,
        double loss,
        double gradNorm,
        double l0,
        double fve,
        double phi,
        float[] meanAbsH,
        float[] maxAbsH,
        float[] fireCounts,
        float[] w,
        double auxLoss) {}
