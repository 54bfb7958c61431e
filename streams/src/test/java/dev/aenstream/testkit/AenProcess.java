package dev.aenstream.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a command line's main class in a child JVM on this test's class path, its output in a log
 * file.
 */
public final class AenProcess {
    private AenProcess() {}

    /**
     * Runs {@code mainClass} with {@code args} in a JVM of at most 1 GiB heap; stdout and stderr go
     * to {@code log}.
     */
    public static Process start(Class<?> mainClass, List<String> args, Path log) throws Exception {
        List<String> command =
                new ArrayList<>(
                        List.of(
                                ProcessHandle.current().info().command().orElse("java"),
                                "-Xmx1g",
                                // Tests' children carry small loads for a minute or two: C2's
                                // compiler threads would only take the cores their parents share.
                                "-XX:TieredStopAtLevel=1",
                                // A child that dies writes its error file beside its log, not
                                // into the module's source tree (its working directory).
                                "-XX:ErrorFile="
                                        + log.toAbsolutePath().resolveSibling("hs_err_pid%p.log"),
                                "-cp",
                                System.getProperty("java.class.path"),
                                mainClass.getName()));
        command.addAll(args);
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }
}
