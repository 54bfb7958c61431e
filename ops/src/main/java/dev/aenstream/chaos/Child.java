package dev.aenstream.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One aen command run as a child JVM on this JVM's class path, its output appended to a log file;
 * killed with SIGKILL and started again with the same arguments.
 */
final class Child {
    private final String name;
    private final List<String> args;
    private final Path log;
    private final String heap;
    private Process process;
    private int starts;

    Child(String name, List<String> args, Path log, String heap) {
        this.name = name;
        this.args = List.copyOf(args);
        this.log = log;
        this.heap = heap;
    }

    String name() {
        return name;
    }

    Path log() {
        return log;
    }

    synchronized void start() throws IOException {
        List<String> command =
                new ArrayList<>(
                        List.of(
                                ProcessHandle.current().info().command().orElse("java"),
                                "-Xmx" + heap,
                                "-XX:+UseSerialGC",
                                // Seven JVMs share the soak's machine, each with a small load:
                                // C1 alone compiles them in a third of the time, with no C2
                                // threads taking the cores from a restarting child. The soak
                                // checks what reaches Kafka, not how fast.
                                "-XX:TieredStopAtLevel=1",
                                // A child that dies writes its error file beside its log, not
                                // into whatever directory the soak was started from.
                                "-XX:ErrorFile="
                                        + log.toAbsolutePath().resolveSibling("hs_err_pid%p.log"),
                                "-cp",
                                System.getProperty("java.class.path"),
                                "dev.aenstream.cli.Aen"));
        command.addAll(args);
        Files.writeString(
                log,
                String.format("%n=== start %d of %s: %s%n", ++starts, name, String.join(" ", args)),
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        process =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .start();
    }

    /** SIGKILL: no shutdown hook, no final checkpoint, no clean leave of the group. */
    synchronized void kill() throws InterruptedException {
        if (process == null) return;
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, and a wait for the process to end. */
    synchronized boolean stop(long timeoutSeconds) throws InterruptedException {
        if (process == null) return true;
        process.destroy();
        if (process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) return true;
        process.destroyForcibly();
        return false;
    }

    /** Waits for the process to end by itself. */
    boolean awaitExit(long timeoutSeconds) throws InterruptedException {
        Process p;
        synchronized (this) {
            p = process;
        }
        return p == null || p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    }

    /** The running process's id; the process must have been started. */
    synchronized long pid() {
        return process.pid();
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** The log's text after the latest start. */
    String latestOutput() throws IOException {
        String all = Files.readString(log);
        int at = all.lastIndexOf("=== start ");
        return at < 0 ? all : all.substring(at);
    }
}
