package dev.aenstream.sae.train;

/**
 * One SAE's training figures after a step, named as in docs/aen-sae.md: loss terms, {@code l0},
 * {@code fve}, {@code deadPct} over the token window, {@code weightSaturation} (null for an
 * architecture without adaptive weights), the warm-up factor and throughput.
 */
public record TrainingMetrics(
        String saeId,
        String arch,
        long step,
        long tokens,
        double mse,
        double l1,
        double l2,
        double loss,
        double l0,
        double fve,
        double deadPct,
        Double weightSaturation,
        double warmupFactor,
        double tokensPerS,
        long[] densityHistogram) {}
