package dev.aenstream.cli.options;

import picocli.CommandLine.Option;

/** {@code --ort-threads}: ONNX Runtime's intra-op threads per session. */
public final class OrtThreadsOption {
    /** Zero lets ONNX Runtime choose (one per core). */
    public static final int ORT_CHOOSES = 0;

    @Option(
            names = {"--ort-threads", "--threads"},
            paramLabel = "THREADS",
            description =
                    "ONNX Runtime threads per call; 0 lets it choose, one per core (default:"
                            + " ${DEFAULT-VALUE}).")
    int ortThreads = ORT_CHOOSES;

    public int ortThreads() {
        return ortThreads;
    }
}
