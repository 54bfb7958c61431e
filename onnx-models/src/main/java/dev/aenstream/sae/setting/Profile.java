package dev.aenstream.sae.setting;

/** Which of docs/aen-sae.md's two settings a run's defaults come from. */
public enum Profile {
    /** Spiked synthetic data: batch 256, no clipping, long warm-up. */
    SYNTHETIC,
    /** Activations of a language model: batch 4096, clip 1.0, slower EMA. */
    LANGUAGE_MODEL
}
