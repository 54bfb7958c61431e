package dev.aenstream.sae.runtime;

import java.util.Locale;

/** Where ONNX Runtime runs: {@code AUTO} takes CUDA when its provider loads, else the CPU. */
public enum Device {
    AUTO,
    CPU,
    CUDA;

    /** Parses {@code auto|cpu|cuda}, case-insensitively. */
    public static Device parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "device must be auto, cpu or cuda, got '" + text + "'");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
