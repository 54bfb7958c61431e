package dev.aenstream.monitor;

/** What the drift tests compare the stream against. */
public enum DriftReference {
    /** The first reference window of tokens after each new version. */
    FIRST,
    /** The window before: each reference window of tokens becomes the next one's reference. */
    ROLLING
}
