package dev.aenstream.cli;

import dev.aenstream.cli.options.OrtThreadsOption;
import dev.aenstream.cli.options.SyntheticOptions;
import dev.aenstream.experiment.DriftExperiment;
import dev.aenstream.monitor.MonitorConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** aen experiment drift: the drift tests' false alarms and detection delays, measured. */
@Command(
        name = "drift",
        mixinStandardHelpOptions = true,
        description = {
            "Proves the monitor's drift tests on a stream whose changes are known: the spiked"
                    + " stream, encoded by a fixed TopK SAE whose features are its atoms, once"
                    + " unchanged (--clean-rows tested rows, for the false alarms per million rows)"
                    + " and once per planted change, each after a reference of"
                    + " --drift-reference-tokens: a new atom switched on in a share of rows"
                    + " (--concept-shares), or feature 0's rate multiplied (--rate-factors). Each"
                    + " --false-alarms-per-million setting sees the same rows. Reports per setting"
                    + " the false alarms and each change's detection delay in rows and seconds"
                    + " (docs/monitoring.md, \"Drift\").",
        })
final class ExperimentDriftCommand implements Callable<Integer> {
    @Mixin SyntheticOptions data;
    @Mixin OrtThreadsOption ortThreads;

    @Option(
            names = "--clean-rows",
            paramLabel = "ROWS",
            description = "Rows of the unchanged stream tested (default: ${DEFAULT-VALUE}).")
    long cleanRows = 10_000_000;

    @Option(
            names = "--max-delay-rows",
            paramLabel = "ROWS",
            description =
                    "Rows after a change is planted before it counts as missed (default:"
                            + " ${DEFAULT-VALUE}).")
    long maxDelayRows = 2_000_000;

    @Option(
            names = "--batch-rows",
            paramLabel = "ROWS",
            description = "Rows encoded per call (default: ${DEFAULT-VALUE}).")
    int batchRows = 1_000;

    @Option(
            names = "--false-alarms-per-million",
            split = ",",
            paramLabel = "RATE",
            description = "The settings compared (default: ${DEFAULT-VALUE}).")
    List<Double> rates = List.of(0.1, 1.0, 10.0, 1000.0);

    @Option(
            names = "--concept-shares",
            split = ",",
            paramLabel = "SHARE",
            description =
                    "Shares of rows a new atom is switched on in, one run each (default:"
                            + " ${DEFAULT-VALUE}).")
    List<Double> shares = List.of(0.01, 0.002);

    @Option(
            names = "--rate-factors",
            split = ",",
            paramLabel = "FACTOR",
            description = "Factors feature 0's rate is multiplied by (default: ${DEFAULT-VALUE}).")
    List<Double> factors = List.of(3.0, 0.25);

    @Option(
            names = "--drift-reference-tokens",
            paramLabel = "TOKENS",
            description = "Tokens of the reference (default: ${DEFAULT-VALUE}).")
    long referenceTokens = MonitorConfig.DRIFT_REFERENCE_TOKENS.defaultValue();

    @Option(
            names = "--drift-block-tokens",
            paramLabel = "TOKENS",
            description = "Tokens per test block (default: ${DEFAULT-VALUE}).")
    long blockTokens = MonitorConfig.DRIFT_BLOCK_TOKENS.defaultValue();

    @Option(
            names = "--drift-ratio",
            paramLabel = "FACTOR",
            description = "The change each test is built for (default: ${DEFAULT-VALUE}).")
    double ratio = MonitorConfig.DRIFT_RATIO.defaultValue();

    @Option(
            names = "--summary-json",
            paramLabel = "FILE",
            description = "Write the figures as JSON to FILE.")
    Path summaryJson;

    @Override
    public Integer call() throws Exception {
        if (blockTokens % batchRows != 0)
            throw new IllegalArgumentException(
                    "--drift-block-tokens ("
                            + blockTokens
                            + ") must be a multiple of --batch-rows ("
                            + batchRows
                            + "), so that a change starts on a block's first row");
        MonitorConfig monitor =
                MonitorConfig.builder()
                        .set(MonitorConfig.DRIFT_REFERENCE_TOKENS, referenceTokens)
                        .set(MonitorConfig.DRIFT_BLOCK_TOKENS, blockTokens)
                        .set(MonitorConfig.DRIFT_RATIO, ratio)
                        .build();
        for (double r : rates) monitor.with(MonitorConfig.DRIFT_FALSE_ALARMS, r); // checks each
        DriftExperiment.Plan plan =
                new DriftExperiment.Plan(
                        data.config(),
                        cleanRows,
                        maxDelayRows,
                        batchRows,
                        rates,
                        shares,
                        factors,
                        monitor,
                        ortThreads.ortThreads());
        Map<String, Object> summary = new DriftExperiment(plan, System.out).run();
        System.out.print(table(summary));
        SummaryJson.write(summaryJson, summary);
        return 0;
    }

    /** The summary as a table: per setting, its false alarms and each change's delay. */
    @SuppressWarnings("unchecked")
    static String table(Map<String, Object> summary) {
        Map<String, Object> clean = (Map<String, Object>) summary.get("clean");
        List<Map<String, Object>> settings = (List<Map<String, Object>>) clean.get("settings");
        List<Map<String, Object>> changes = (List<Map<String, Object>>) summary.get("changes");
        StringBuilder out = new StringBuilder();
        out.append(
                String.format(
                        "%,d clean rows tested, %,.0f rows/s%n",
                        (Long) clean.get("rows_tested"), (Double) clean.get("rows_per_s")));
        out.append(String.format("%-12s %-9s %-12s", "bound/M", "h", "false/M"));
        for (Map<String, Object> c : changes) out.append(String.format(" %-26s", c.get("change")));
        out.append(System.lineSeparator());
        for (int s = 0; s < settings.size(); s++) {
            Map<String, Object> r = settings.get(s);
            out.append(
                    String.format(
                            "%-12s %-9.2f %-12.3f",
                            r.get("false_alarms_per_million_bound"),
                            (Double) r.get("threshold"),
                            (Double) r.get("false_alarms_per_million")));
            for (Map<String, Object> c : changes) {
                Map<String, Object> at = ((List<Map<String, Object>>) c.get("settings")).get(s);
                out.append(
                        String.format(
                                " %-26s",
                                Boolean.TRUE.equals(at.get("detected"))
                                        ? String.format(
                                                "%,d rows, %.2f s",
                                                (Long) at.get("delay_rows"),
                                                (Double) at.get("delay_s"))
                                        : "missed"));
            }
            out.append(System.lineSeparator());
        }
        return out.toString();
    }
}
