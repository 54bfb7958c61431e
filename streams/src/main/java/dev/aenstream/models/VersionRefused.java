package dev.aenstream.models;

/** A version the follower will not serve; the message says why, as its MODEL_REFUSED alert does. */
final class VersionRefused extends Exception {
    private static final long serialVersionUID = 1L;

    VersionRefused(String reason) {
        super(reason, null, false, false);
    }
}
