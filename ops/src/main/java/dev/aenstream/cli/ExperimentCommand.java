package dev.aenstream.cli;

import dev.aenstream.cli.options.DeviceOption;
import dev.aenstream.experiment.ExperimentReport;
import dev.aenstream.experiment.Protocol;
import dev.aenstream.experiment.RunStore;
import dev.aenstream.experiment.StarvationExperiment;
import dev.aenstream.experiment.StarvationPreset;
import dev.aenstream.experiment.SyntheticRun;
import dev.aenstream.sae.penalty.Penalties;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Experiments that reproduce the paper's studies. */
@Command(
        name = "experiment",
        mixinStandardHelpOptions = true,
        description =
                "Reproduce the paper's studies (docs/experiments.md) and prove the monitor's drift"
                        + " tests (docs/monitoring.md).",
        subcommands = {
            ExperimentCommand.Starvation.class,
            ExperimentDriftCommand.class,
            ExperimentTextCommand.class
        })
final class ExperimentCommand implements Runnable {
    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(
                new picocli.CommandLine(this), "name an experiment: starvation, drift or text");
    }

    /** The paper's synthetic study of feature starvation against coherence. */
    @Command(
            name = "starvation",
            mixinStandardHelpOptions = true,
            description = {
                "The paper's synthetic study: rho in {0, .3, .5, .7, .9} x {aen, l1, elastic,"
                    + " alasso, topk, ghost, auxk} on spiked data (n = 256, 1,024 atoms, k = 16),"
                    + " every run at the same --target-l0 (TopK with k = L0, the penalised ones"
                    + " with lambda1 moved towards it every 50 steps; docs/experiments.md).",
                "",
                "Each finished run is appended to OUT/runs.jsonl and runs in progress are"
                        + " checkpointed: run the same command again to continue after a kill."
                        + " --shard i/N trains every N-th run; --merge brings other shards' runs"
                        + " in. At the end it writes OUT/runs.csv, OUT/runs.json, dead_pct, fve and"
                        + " shrinkage against rho as SVG and PNG, and OUT/report.html."
            })
    static final class Starvation implements Callable<Integer> {
        @Option(
                names = "--preset",
                paramLabel = "NAME",
                description =
                        "quick (2,000 steps per run, about 12 minutes on 2 cores) or paper (the"
                                + " authors' 50,000 steps) (default: ${DEFAULT-VALUE}).")
        String preset = StarvationPreset.QUICK.name();

        @Option(
                names = "--target-l0",
                paramLabel = "L0",
                description = "The L0 every run is matched to (default: ${DEFAULT-VALUE}).")
        double targetL0 = StarvationPreset.DEFAULT_TARGET_L0;

        @Option(
                names = "--seeds",
                paramLabel = "S",
                split = ",",
                description =
                        "Seeds of data and initialisation, comma-separated (default: 0); figures"
                                + " average over them.")
        List<Long> seeds = new ArrayList<>(List.of(0L));

        @Option(
                names = "--rho",
                paramLabel = "RHO",
                split = ",",
                description = "Only these coherences (default: 0, 0.3, 0.5, 0.7, 0.9).")
        List<Double> rhos;

        @Option(
                names = "--archs",
                paramLabel = "ARCH",
                split = ",",
                description = "Only these architectures (default: all seven).")
        List<String> archs;

        @Option(
                names = "--steps",
                paramLabel = "N",
                description = "Steps per run instead of the preset's.")
        Long steps;

        @Option(
                names = "--protocol",
                paramLabel = "P",
                description =
                        "How each run's sparsity is chosen (docs/experiments.md, \"When L0 is"
                                + " matched\"): matched (lambda1 moved towards --target-l0 from"
                                + " the first step), after-warmup (held until the warm-up ends,"
                                + " then moved), fixed (the authors' best lambda1 throughout), or"
                                + " grid (the authors' protocol: every configuration of their"
                                + " grid, then per architecture and rho the fewest dead among"
                                + " runs with L0 in their band) (default: ${DEFAULT-VALUE}).")
        String protocol = Protocol.MATCHED.label();

        @Option(
                names = "--shard",
                paramLabel = "i/N",
                description =
                        "Train only every N-th run of the grid, from the i-th (default:"
                                + " ${DEFAULT-VALUE}).")
        String shard = "1/1";

        @Option(
                names = "--merge",
                paramLabel = "PATH",
                description =
                        "Bring in the runs of another shard (its folder or runs.jsonl);"
                                + " repeatable.")
        List<Path> merge = new ArrayList<>();

        @Option(
                names = "--report-only",
                description = "Write the report from the runs at hand, training nothing.")
        boolean reportOnly;

        @Option(
                names = "--jobs",
                paramLabel = "J",
                description =
                        "Runs trained side by side, each on cores / J ONNX Runtime threads"
                                + " (default: the number of cores, at most 2: small steps use two"
                                + " single-threaded runs better than one two-threaded run).")
        Integer jobs;

        @Option(
                names = "--threads",
                paramLabel = "T",
                description =
                        "ONNX Runtime threads of each run (default: cores / J). Give processes"
                                + " that share a machine (shards, one per rho) threads that add up"
                                + " to its cores: two processes of two threads on 2 cores took"
                                + " twice as long per step as one thread each"
                                + " (docs/experiments.md).")
        Integer threads;

        @Option(
                names = "--eval-rows",
                paramLabel = "N",
                description =
                        "Fresh rows of each run's final evaluation instead of the preset's (2,048"
                                + " quick, 4,096 paper); the active-set geometry is measured on"
                                + " the first "
                                + SyntheticRun.GEOMETRY_ROWS
                                + " of them.")
        Integer evalRows;

        @Option(
                names = "--out",
                paramLabel = "DIR",
                description =
                        "The experiment's folder (default: data/experiments/starvation-PRESET).")
        Path out;

        @Mixin DeviceOption device;

        @Option(
                names = "--b-dec-init",
                paramLabel = "START",
                description =
                        "Where b_dec starts: zero (the spec's start, the paper preset's default) or"
                                + " mean (the mean of the first batch, the quick preset's"
                                + " default: 2,000 steps are too few to learn the spiked data's"
                                + " offset; docs/experiments.md compares the two).")
        String bDecInit;

        @Option(
                names = "--summary-json",
                paramLabel = "PATH",
                description =
                        "Write target_l0, the report's path, the figures and every run as JSON.")
        Path summaryJson;

        private static boolean centred(String start) {
            return switch (start.toLowerCase(java.util.Locale.ROOT)) {
                case "mean" -> true;
                case "zero" -> false;
                default ->
                        throw new IllegalArgumentException(
                                "--b-dec-init must be zero or mean, got '" + start + "'");
            };
        }

        @Override
        public Integer call() throws Exception {
            StarvationPreset chosen =
                    StarvationPreset.named(preset)
                            .narrowed(
                                    steps,
                                    rhos == null ? null : List.copyOf(rhos),
                                    archs == null
                                            ? null
                                            : archs.stream().map(Penalties::parse).toList(),
                                    bDecInit == null ? null : centred(bDecInit),
                                    evalRows);
            String[] parts = shard.split("/");
            if (parts.length != 2)
                throw new IllegalArgumentException("--shard must be i/N, got " + shard);
            int cores = Runtime.getRuntime().availableProcessors();
            int j = jobs != null ? jobs : Math.max(1, Math.min(cores, 2));
            Path dir = out != null ? out : Path.of("data", "experiments", "starvation-" + preset);
            StarvationExperiment.Plan plan =
                    new StarvationExperiment.Plan(
                            chosen,
                            targetL0,
                            Protocol.parse(protocol),
                            List.copyOf(seeds),
                            Integer.parseInt(parts[0].trim()),
                            Integer.parseInt(parts[1].trim()),
                            j,
                            threads != null ? threads : Math.max(1, cores / j),
                            device.device(),
                            dir);
            RunStore store = RunStore.open(dir);
            for (Path other : merge)
                System.out.printf("merged %d runs from %s%n", store.merge(other), other);
            if (!reportOnly) new StarvationExperiment(plan, store).run();
            List<String> keys = plan.grid().stream().map(plan::key).toList();
            List<Map<String, Object>> runs =
                    store.runs().stream()
                            .filter(r -> keys.contains((String) r.get("key")))
                            .toList();
            ExperimentReport.Written written =
                    ExperimentReport.write(dir, runs, chosen, targetL0, plan.protocol());
            long missed = runs.stream().filter(r -> Boolean.FALSE.equals(r.get("matched"))).count();
            System.out.printf(
                    "%d of %d runs of the grid done%s; report: %s%n",
                    runs.size(),
                    keys.size(),
                    missed > 0 ? ", " + missed + " outside L0 ±15%" : "",
                    written.report().toAbsolutePath());
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("target_l0", targetL0);
            summary.put("preset", chosen.name());
            summary.put("protocol", plan.protocol().label());
            summary.put("report", written.report().toAbsolutePath().toString());
            summary.put(
                    "figures",
                    written.figures().stream().map(p -> p.toAbsolutePath().toString()).toList());
            summary.put("csv", written.csv().toAbsolutePath().toString());
            summary.put("runs", runs);
            SummaryJson.write(summaryJson, summary);
            return 0;
        }
    }
}
