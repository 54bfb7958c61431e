package dev.aenstream.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory, from Linux's /proc (0 where there is none). */
final class Memory {
    private Memory() {}

    /**
     * Collects the heap's garbage (the publisher's chunks, in this one process) and resets the peak
     * resident size to the current one; returns the current one.
     */
    static long resetPeak() {
        // A trainer and an encoder are separate processes: the publisher's garbage is no part
        // of what the encoder needs. A full collection also gives unused heap back.
        System.gc();
        try {
            // "5" resets the peak resident set size (Linux 4.0 and later).
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | UnsupportedOperationException e) {
            // Without it the peak covers the whole run so far: still an upper bound.
        }
        return field("VmRSS:");
    }

    /** The peak resident size since the last reset. */
    static long peak() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name))
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0])
                            * 1024;
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: no figure.
        }
        return 0;
    }
}
