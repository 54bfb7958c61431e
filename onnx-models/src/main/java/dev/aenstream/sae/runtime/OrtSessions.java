package dev.aenstream.sae.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens ONNX Runtime sessions on the requested device, falling back from CUDA to CPU with a log
 * line.
 */
public final class OrtSessions {
    private static final Logger LOG = LoggerFactory.getLogger(OrtSessions.class);

    static {
        // Every ONNX Runtime environment is had here: this runs before its libraries load.
        NativeLibraries.useSharedCopy();
    }

    /** The device line is news once; sessions opened later (model swaps) log it at debug level. */
    private static final java.util.concurrent.atomic.AtomicBoolean ANNOUNCED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * An open session and the device it actually runs on ({@link Device#CPU} or {@link
     * Device#CUDA}).
     */
    public record Opened(OrtSession session, Device device) implements AutoCloseable {
        @Override
        public void close() throws OrtException {
            session.close();
        }
    }

    private OrtSessions() {}

    /** ONNX Runtime's environment, its libraries loaded from the shared copy (NativeLibraries). */
    public static OrtEnvironment environment() {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        NativeLibraries.loaded();
        return env;
    }

    /**
     * Opens a session for the model bytes.
     *
     * @param intraOpThreads threads ONNX Runtime may use inside one call; 0 lets it choose
     * @throws OrtException if the model does not load, or CUDA was demanded and is not there
     */
    public static Opened open(byte[] model, Device device, int intraOpThreads) throws OrtException {
        return open((env, options) -> env.createSession(model, options), device, intraOpThreads);
    }

    /**
     * As {@link #open(byte[], Device, int)}, with ONNX Runtime's threads sleeping as soon as a run
     * ends instead of spinning for the next: for a session whose runs alternate with Java work on
     * the same cores (the sparse training step), which the spinning would slow.
     */
    public static Opened openWithoutSpinning(byte[] model, Device device, int intraOpThreads)
            throws OrtException {
        return open(
                (env, options) -> {
                    options.addConfigEntry("session.intra_op.allow_spinning", "0");
                    return env.createSession(model, options);
                },
                device,
                intraOpThreads);
    }

    /**
     * Opens a session for the model file, whose external data ONNX Runtime reads from beside it (so
     * the model may be larger than a byte array).
     */
    public static Opened open(java.nio.file.Path model, Device device, int intraOpThreads)
            throws OrtException {
        return open(
                (env, options) -> env.createSession(model.toString(), options),
                device,
                intraOpThreads);
    }

    /**
     * Opens a session for a packaged model: one with external data is written to a temporary folder
     * for ONNX Runtime to read (graph and {@code .data} beside it), and the folder is removed once
     * the session holds the weights.
     */
    public static Opened open(
            dev.aenstream.sae.onnx.OnnxPackage model, Device device, int intraOpThreads)
            throws OrtException, java.io.IOException {
        if (model.selfContained()) return open(model.graph(), device, intraOpThreads);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("aen-onnx-");
        try {
            java.nio.file.Path file = dir.resolve("model.onnx");
            model.writeFiles(file);
            return open(file, device, intraOpThreads);
        } finally {
            org.apache.kafka.common.utils.Utils.delete(dir.toFile());
        }
    }

    /** How a session is made from the environment and the options chosen for the device. */
    @FunctionalInterface
    private interface Creator {
        OrtSession create(OrtEnvironment env, OrtSession.SessionOptions options)
                throws OrtException;
    }

    private static Opened open(Creator creator, Device device, int intraOpThreads)
            throws OrtException {
        OrtEnvironment env = environment();
        if (device != Device.CPU) {
            try (OrtSession.SessionOptions options = options(intraOpThreads)) {
                options.addCUDA(0);
                OrtSession session = creator.create(env, options);
                announce("ONNX Runtime runs on CUDA (device 0)");
                return new Opened(session, Device.CUDA);
            } catch (OrtException | UnsatisfiedLinkError | RuntimeException e) {
                if (device == Device.CUDA) {
                    throw new OrtException(
                            "--device cuda was requested, but the CUDA execution provider is not"
                                    + " available: "
                                    + e.getMessage()
                                    + " (build with -Pgpu on a machine with CUDA, or use --device"
                                    + " auto|cpu)");
                }
                announce(
                        "ONNX Runtime runs on CPU: CUDA execution provider not available ("
                                + firstLine(e.getMessage())
                                + ")");
            }
        } else {
            announce("ONNX Runtime runs on CPU (--device cpu)");
        }
        try (OrtSession.SessionOptions options = options(intraOpThreads)) {
            return new Opened(creator.create(env, options), Device.CPU);
        }
    }

    private static void announce(String line) {
        if (ANNOUNCED.compareAndSet(false, true)) LOG.info(line);
        else LOG.debug(line);
    }

    /** The system property that turns on ONNX Runtime's profiler, naming where its traces go. */
    public static final String PROFILE_PROPERTY = "aen.ort.profile";

    private static OrtSession.SessionOptions options(int intraOpThreads) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        // ORT warns about every initializer it prunes (the decoder half of an encoder graph, a
        // model cut at its hook).
        options.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
        if (intraOpThreads > 0) options.setIntraOpNumThreads(intraOpThreads);
        // -Daen.ort.profile=PREFIX: ONNX Runtime writes each session's per-node timings as a
        // Chrome trace (PREFIX_<date>.json) when the session closes.
        String profile = System.getProperty(PROFILE_PROPERTY);
        if (profile != null && !profile.isBlank()) options.enableProfiling(profile);
        return options;
    }

    private static String firstLine(String message) {
        if (message == null) return "no reason given";
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
