package dev.aenstream.cli;

import dev.aenstream.chaos.ChaosSettings;
import dev.aenstream.chaos.ChaosSoak;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aen chaos}: the soak that kills components and checks nothing was lost. */
@Command(
        name = "chaos",
        mixinStandardHelpOptions = true,
        description = {
            "Start three brokers (replication 3, min.insync.replicas 2), two encoders and the"
                    + " trainer of two SAEs as child processes, and a producer of rows with known"
                    + " ids; every client and replica reaches a broker through a TCP proxy on"
                    + " localhost. For --duration seconds, at seeded random moments and in turn,"
                    + " SIGKILL an encoder, the trainer or a broker (the active controller every"
                    + " other time) and restart it, or slow, reset or partition one broker's link"
                    + " through its proxy; time each recovery. One batch in ten is stamped by a"
                    + " clock 50 minutes fast. Then let the pipeline drain and"
                    + " check what reached Kafka: codes exactly once per batch and SAE"
                    + " (read_committed), every row trained on exactly once (by count and by a"
                    + " checksum of row ids), versions strictly increasing and every served"
                    + " version published, no dead letters; every code recomputed from its row"
                    + " and version, the statistics equal to the codes (tokens and per-feature"
                    + " fires, late tokens added back), no feature alert sent twice and none of"
                    + " rows lost.",
            "Exits 1 when anything was lost, duplicated or wrong. Logs of every process are in"
                    + " --work-dir."
        })
final class ChaosCommand implements Callable<Integer> {
    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            description = "How long faults are injected (default: ${DEFAULT-VALUE}).")
    long durationSeconds = 600;

    @Option(
            names = "--seed",
            paramLabel = "SEED",
            description =
                    "Decides the rows, the targets and the moments (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(
            names = "--min-gap",
            paramLabel = "SECONDS",
            description =
                    "Least wait between a recovery and the next fault (default: ${DEFAULT-VALUE}).")
    double minGap = 3;

    @Option(
            names = "--max-gap",
            paramLabel = "SECONDS",
            description =
                    "Most wait between a recovery and the next fault (default: ${DEFAULT-VALUE}).")
    double maxGap = 10;

    @Option(
            names = "--network-fault",
            paramLabel = "SECONDS",
            description =
                    "How long a slow link or a partition lasts; past the brokers'"
                            + " replica.lag.time.max.ms (30 s) a partition shrinks the in-sync"
                            + " replicas (default: ${DEFAULT-VALUE}).")
    double networkFaultSeconds = 5;

    @Option(
            names = "--min-faults",
            paramLabel = "COUNT",
            description =
                    "Faults to inject at least: the soak goes on past --duration until then"
                            + " (default: ${DEFAULT-VALUE}).")
    int minFaults = 0;

    @Option(
            names = "--rate",
            paramLabel = "BATCHES_PER_S",
            description =
                    "Activation batches (16 rows of n=32 each) produced per second (default:"
                            + " ${DEFAULT-VALUE}).")
    double rate = 20;

    @Option(
            names = "--secure",
            description =
                    "Brokers speak SASL_SSL (SCRAM-SHA-512 over TLS) and authorise with ACLs;"
                            + " producer, encoders and trainer each connect as their own"
                            + " principal.")
    boolean secure;

    @Option(
            names = "--signed",
            description =
                    "The trainer signs its versions and encoders trust only its key; a version"
                            + " signed by another key is published once the encoders run, and must"
                            + " be refused with a MODEL_REFUSED alert and never serve a code.")
    boolean signed;

    @Option(
            names = "--work-dir",
            paramLabel = "DIR",
            description =
                    "Where the brokers', encoders' and trainer's data and logs go; must be new or"
                            + " empty (default: ${DEFAULT-VALUE}).")
    Path workDir = Path.of("data", "chaos");

    @Option(
            names = "--summary-json",
            paramLabel = "FILE",
            description = "Write the figures as JSON here.")
    Path summaryJson;

    @Override
    public Integer call() throws Exception {
        if (java.nio.file.Files.isDirectory(workDir)) {
            try (var entries = java.nio.file.Files.list(workDir)) {
                if (entries.findAny().isPresent())
                    throw new IllegalArgumentException(
                            "--work-dir " + workDir + " is not empty: give a new folder");
            }
        }
        var settings =
                new ChaosSettings(
                        durationSeconds,
                        seed,
                        workDir,
                        32,
                        64,
                        16,
                        rate,
                        minGap,
                        maxGap,
                        minFaults,
                        networkFaultSeconds,
                        secure,
                        signed);
        Map<String, Object> summary =
                new ChaosSoak(settings, line -> System.out.println("chaos: " + line)).run();
        for (var e : summary.entrySet())
            if (!e.getKey().equals("faults") && !e.getKey().equals("per_sae"))
                System.out.printf("%-28s %s%n", e.getKey(), e.getValue());
        System.out.println("per SAE: " + summary.get("per_sae"));
        SummaryJson.write(summaryJson, summary);
        return Boolean.TRUE.equals(summary.get("ok")) ? 0 : 1;
    }
}
