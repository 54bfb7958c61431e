package dev.aenstream.cli;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/**
 * Ctrl-C and SIGTERM as a request to stop, answered by the command's own loop rather than by the
 * JVM's shutdown. ONNX Runtime releases its environment in a shutdown hook of its own, and hooks
 * run side by side: a step or an encode still running when the JVM's shutdown begins used freed
 * native memory and crashed the process (CI of stop 38: SIGSEGV in a trainer stopped mid-step).
 * Here the signal only asks; the command finishes its work (a checkpoint, a flush), returns, and
 * the process exits normally. A second signal exits at once.
 */
final class StopSignals {
    /** What the latest command asked to run on a stop request, for {@link #ask()}. */
    private static volatile Runnable latest = () -> {};

    private StopSignals() {}

    /**
     * Asks the running command to stop, as a first Ctrl-C does: for a command run inside another
     * JVM's thread (tests), where a signal may not reach it (a background job ignores SIGINT).
     */
    static void ask() {
        latest.run();
    }

    /** Runs {@code stop} on the first Ctrl-C or SIGTERM; exits on the second. */
    static void onStop(Runnable stop) {
        latest = stop;
        AtomicBoolean asked = new AtomicBoolean();
        for (String name : List.of("INT", "TERM")) {
            try {
                Signal.handle(
                        new Signal(name),
                        signal -> {
                            if (asked.getAndSet(true)) {
                                System.err.println("SIG" + name + " again: exiting now");
                                System.exit(128 + signal.getNumber());
                            }
                            System.err.println(
                                    "SIG"
                                            + name
                                            + ": finishing the work in hand, then stopping"
                                            + " (again to exit at once)");
                            stop.run();
                        });
            } catch (IllegalArgumentException unsupported) {
                // A platform without this signal: the JVM's default, a shutdown hook, remains.
                Runtime.getRuntime().addShutdownHook(new Thread(stop));
            }
        }
    }
}
