package dev.aenstream.cli;

import dev.aenstream.chaos.LongSoak;
import dev.aenstream.chaos.SoakSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aen soak}: the long run that shows whether any process leaks. */
@Command(
        name = "soak",
        mixinStandardHelpOptions = true,
        description = {
            "Run the pipeline for a long time and watch every process for leaks: a broker in this"
                    + " process; the trainer of two SAEs signing a version of each about every"
                    + " --swap-every seconds, an encoder with its monitor serving them, and a"
                    + " producer serving the dashboard, each a child JVM; dashboard clients come"
                    + " and go. Every --sample-every seconds it prints each child's live heap"
                    + " (after a full collection), resident memory, threads and open files; at"
                    + " the end, each one's first and last value, peak and slope per hour (after"
                    + " --warm-up).",
            "Exits 1 when a process died or the dashboard failed a request. Logs of every"
                    + " process are in --work-dir."
        })
final class SoakCommand implements Callable<Integer> {
    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            description =
                    "How long the pipeline runs under observation (default: ${DEFAULT-VALUE}).")
    long durationSeconds = 3600;

    @Option(
            names = "--sample-every",
            paramLabel = "SECONDS",
            description = "Seconds between samples of every process (default: ${DEFAULT-VALUE}).")
    double sampleSeconds = 60;

    @Option(
            names = "--warm-up",
            paramLabel = "SECONDS",
            description =
                    "Samples before this are printed but left out of the slopes: the JIT, caches"
                            + " and first versions settle (default: ${DEFAULT-VALUE}).")
    double warmUpSeconds = 300;

    @Option(
            names = "--swap-every",
            paramLabel = "SECONDS",
            description =
                    "About how often the trainer publishes a version of each SAE, which the"
                            + " encoder swaps in (default: ${DEFAULT-VALUE}).")
    double swapSeconds = 60;

    @Option(
            names = "--rate",
            paramLabel = "ROWS_PER_S",
            description = "Activation rows produced per second (default: ${DEFAULT-VALUE}).")
    double rate = 2000;

    @Option(
            names = "--work-dir",
            paramLabel = "DIR",
            description =
                    "Where the broker's, encoder's and trainer's data and every log go; must be new"
                            + " or empty (default: ${DEFAULT-VALUE}).")
    Path workDir = Path.of("data/soak");

    @Option(
            names = "--summary-json",
            paramLabel = "FILE",
            description = "Write the figures, every process's trends included, as JSON here.")
    Path summaryJson;

    @Override
    public Integer call() throws Exception {
        if (Files.isDirectory(workDir)) {
            try (var entries = Files.list(workDir)) {
                if (entries.findAny().isPresent())
                    throw new IllegalArgumentException(
                            "--work-dir " + workDir + " is not empty: give a new folder");
            }
        }
        var settings =
                new SoakSettings(
                        durationSeconds,
                        sampleSeconds,
                        warmUpSeconds,
                        swapSeconds,
                        rate,
                        64,
                        512,
                        256,
                        workDir);
        Map<String, Object> summary =
                new LongSoak(settings, line -> System.out.println("soak: " + line)).run();
        for (var e : summary.entrySet())
            if (!e.getKey().equals("processes"))
                System.out.printf("%-22s %s%n", e.getKey(), e.getValue());
        @SuppressWarnings("unchecked")
        var processes = (Map<String, Map<String, Object>>) summary.get("processes");
        for (var p : processes.entrySet())
            System.out.printf("%-10s %s%n", p.getKey(), p.getValue());
        SummaryJson.write(summaryJson, summary);
        return Boolean.TRUE.equals(summary.get("ok")) ? 0 : 1;
    }
}
