package dev.aenstream.monitor;

/** What the drift tests compare the stream against. */
public enum DriftReference {
    /** The first reference window of tokens after each new version. */
    FIRST,
    /** The window before: each reference window of tokens becomes the next one's reference. */
    ROLLING,
    /**
     * The first reference window of the first version, kept across later versions of the same
     * width, features compared by id: for an SAE trained online, whose lineage keeps ids, drift
     * against a fixed baseline through every swap.
     */
    PINNED
}
