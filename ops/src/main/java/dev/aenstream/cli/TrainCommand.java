package dev.aenstream.cli;

import dev.aenstream.bench.Daemon;
import dev.aenstream.cli.options.DashboardOptions;
import dev.aenstream.cli.options.DeviceOption;
import dev.aenstream.cli.options.HyperparameterOptions;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.cli.options.MetricsOptions;
import dev.aenstream.cli.options.OnlineOptions;
import dev.aenstream.cli.options.OrtThreadsOption;
import dev.aenstream.cli.options.SaeSpec;
import dev.aenstream.cli.options.SyntheticOptions;
import dev.aenstream.experiment.PhiWarning;
import dev.aenstream.experiment.SyntheticRun;
import dev.aenstream.online.OnlineTrainerConfig;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.train.Checkpoints;
import dev.aenstream.sae.train.SparsityTarget;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.Trainer;
import dev.aenstream.sae.train.TrainingMetrics;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Trains an SAE with the AEN-SAE step or one of its baselines. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Train SAEs: AEN-SAE (aen) or a baseline (l1, elastic, alasso, topk, ghost, auxk) with"
                    + " docs/aen-sae.md's training step in ONNX Runtime.",
            "",
            "--source synthetic (the default without --bootstrap-servers or --sae) trains one SAE"
                + " on the spiked generator with no Kafka, prints progress, writes checkpoints and"
                + " ends with the synthetic evaluation: dictionary match (dict_cos) and support"
                + " precision, recall and F1.",
            "",
            "--source kafka trains every --sae side by side from the activations topic, publishes"
                + " versions to the models topic for the encoders, figures to trainer-metrics and"
                + " starvation alerts to alerts; its checkpoints hold the consumer positions, so"
                + " --resume neither loses nor repeats a row."
        })
final class TrainCommand implements Callable<Integer> {
    @Option(
            names = "--source",
            paramLabel = "SOURCE",
            description =
                    "Where training rows come from: synthetic or kafka (default: kafka when"
                            + " --bootstrap-servers or --sae is given).")
    String source;

    @Mixin SyntheticOptions synthetic;
    @Mixin HyperparameterOptions hyper;
    @Mixin KafkaOptions kafka;
    @Mixin OnlineOptions online;
    @Mixin MetricsOptions metrics;
    @Mixin DashboardOptions dashboard;

    @Option(
            names = "--sae",
            paramLabel = "ID[:ARCH][,key=value...]",
            description =
                    "An SAE to train from Kafka (repeatable), e.g. --sae aen:aen --sae"
                            + " l1:l1,lambda1=0.004 (default: aen).")
    java.util.List<String> saes = new java.util.ArrayList<>();

    @Option(
            names = "--setting",
            paramLabel = "SETTING",
            description =
                    "Defaults for hyperparameters not given, from training from Kafka:"
                            + " language-model or synthetic (default: ${DEFAULT-VALUE}).")
    String setting = "language-model";

    @Option(
            names = "--steps",
            paramLabel = "N",
            description =
                    "Training steps to reach (default: T_warm + T_ramp + "
                            + TrainConfig.DEFAULT_STEPS_AFTER_RAMP
                            + ", 20,000 on the synthetic defaults, so the adaptive weights act at"
                            + " full strength).")
    Long steps;

    @Option(
            names = "--target-l0",
            paramLabel = "L0",
            description =
                    "Matched sparsity: TopK takes k = L0; a penalised SAE has its lambda1 moved"
                            + " towards this L0 every 50 steps (docs/training.md), offline and"
                            + " online alike; offline, the final lambda1 and its range over the"
                            + " dead window are printed and recorded.")
    Double targetL0;

    @Option(
            names = "--match-from",
            paramLabel = "STEP",
            description =
                    "The earliest step after which --target-l0 moves lambda1 (default: 0"
                            + " offline, "
                            + SparsityTarget.DEFAULT_SETTLE_STEPS
                            + " online). AEN also waits for the end of its warm-up (T_warm):"
                            + " its adaptive weights form from the warm-up's codes, and a lambda1"
                            + " pushed up meanwhile starves it (docs/experiments.md, \"When L0 is"
                            + " matched\").")
    Long matchFrom;

    @Option(
            names = "--sae-id",
            paramLabel = "ID",
            description =
                    "Name of the SAE in logs, checkpoints and summaries (default: the"
                            + " architecture).")
    String saeId;

    @Option(
            names = "--checkpoint-dir",
            paramLabel = "DIR",
            description = "Where checkpoints go; none are written without it.")
    Path checkpointDir;

    @Option(
            names = "--resume",
            description =
                    "Continue from the latest checkpoint in --checkpoint-dir (its configuration"
                            + " wins).")
    boolean resume;

    @Option(
            names = "--progress-every",
            paramLabel = "STEPS",
            description = "Steps between progress lines (default: ${DEFAULT-VALUE}).")
    long progressEvery = 500;

    @Option(
            names = "--eval-rows",
            paramLabel = "ROWS",
            description =
                    "Fresh synthetic rows for the final evaluation (default: ${DEFAULT-VALUE}).")
    int evalRows = 4096;

    @Mixin DeviceOption device;

    @Mixin OrtThreadsOption ortThreads;

    @Option(
            names = "--summary-json",
            paramLabel = "PATH",
            description = "Write the final figures as JSON to this file.")
    Path summaryJson;

    @Override
    public Integer call() throws Exception {
        if (matchFrom != null && matchFrom < 0)
            throw new IllegalArgumentException("--match-from must be >= 0, got " + matchFrom);
        String from =
                source != null
                        ? source
                        : (kafka.bootstrapServers != null || !saes.isEmpty()
                                ? "kafka"
                                : "synthetic");
        if (from.equals("kafka")) return trainFromKafka();
        if (!from.equals("synthetic"))
            throw new IllegalArgumentException("--source must be synthetic or kafka, got " + from);
        if ((steps != null && steps <= 0) || progressEvery <= 0)
            throw new IllegalArgumentException("step counts must be positive");
        long checkpointEvery = online.get(OnlineTrainerConfig.CHECKPOINT_EVERY);
        if (resume && checkpointDir == null)
            throw new IllegalArgumentException("--resume needs --checkpoint-dir");
        SpikedConfig data = synthetic.config();
        TrainConfig config = hyper.synthetic(data.get(SpikedConfig.N));
        if (targetL0 != null && config.has(TopK.K))
            config = config.toBuilder().set(TopK.K, SparsityTarget.topK(targetL0)).build();
        long total = steps != null ? steps : config.defaultSteps();
        String id = saeId != null ? saeId : config.penalty().label();
        Device dev = device.device();
        Checkpoints.Checkpoint checkpoint = resume ? Checkpoints.latest(checkpointDir, id) : null;
        if (resume && checkpoint == null)
            System.out.println(
                    "no checkpoint of " + id + " in " + checkpointDir + ": starting fresh");
        SpikedGenerator generator = new SpikedGenerator(data);
        try (Trainer trainer =
                checkpoint != null
                        ? Trainer.resume(id, checkpoint, dev, ortThreads.ortThreads())
                        : Trainer.start(id, config, dev, ortThreads.ortThreads())) {
            TrainConfig run = trainer.config();
            SparsityTarget sparsity =
                    targetL0 == null || !run.has(Penalised.LAMBDA1)
                            ? null
                            : SparsityTarget.afterWarmUp(
                                    targetL0, matchFrom != null ? matchFrom : 0, run);
            trainer.target(sparsity);
            System.out.printf(
                    "training %s (%s) n=%d D=%d batch=%d %s, %,d steps on %s%s%n",
                    id,
                    run.penalty().label(),
                    run.n(),
                    run.d(),
                    run.get(TrainConfig.BATCH),
                    run.describePenalty(),
                    total,
                    trainer.trainStep().device().label(),
                    checkpoint != null ? ", resumed at step " + trainer.stepsDone() : "");
            if (sparsity != null)
                System.out.printf(
                        "matched sparsity: lambda1 tracks L0 %.1f every %d steps%s%n",
                        targetL0,
                        sparsity.every(),
                        sparsity.settleSteps() > 0
                                ? String.format(" after step %,d", sparsity.settleSteps())
                                : " from the first step");
            PhiWarning.check(run, total);
            System.out.printf(
                    "%8s %10s %10s %10s %8s %7s %7s %6s %5s %10s %10s%n",
                    "step",
                    "mse",
                    "l1",
                    "l2",
                    "l0",
                    "fve",
                    "dead%",
                    "sat%",
                    "phi",
                    "lambda1",
                    "tokens/s");
            long startBatch = SyntheticRun.firstBatch(checkpoint, trainer);
            SyntheticRun.train(
                    trainer,
                    generator,
                    total,
                    startBatch,
                    (t, r, batchIndex) -> {
                        long done = t.stepsDone();
                        if (done % progressEvery == 0 || done == total) print(t);
                        if (checkpointDir != null && (done % checkpointEvery == 0 || done == total))
                            t.checkpoint(checkpointDir, SyntheticRun.position(batchIndex));
                    });
            Map<String, Object> summary =
                    SyntheticRun.evaluate(trainer, generator, evalRows, ortThreads.ortThreads());
            if (targetL0 != null) summary.put("target_l0", targetL0);
            System.out.printf(
                    "dict_cos %.3f, support precision %.3f recall %.3f F1 %.3f; eval l0 %.1f, fve"
                            + " %.3f, shrinkage %.3f; dead %.2f%%; phi %.2f%s%n",
                    summary.get("dict_cos"),
                    summary.get("support_precision"),
                    summary.get("support_recall"),
                    summary.get("support_f1"),
                    summary.get("l0"),
                    summary.get("fve"),
                    summary.get("shrinkage"),
                    summary.get("dead_pct"),
                    summary.get("phi"),
                    summary.containsKey("lambda1")
                            ? String.format("; lambda1 %.5g", summary.get("lambda1"))
                            : "");
            PhiWarning.atEnd(trainer.config(), trainer.stepsDone());
            SummaryJson.write(summaryJson, summary);
        }
        return 0;
    }

    /**
     * The SAEs --sae names (one AEN SAE without it), each built on {@code base}; with --target-l0 a
     * TopK SAE keeps k = that L0, as offline.
     */
    java.util.List<dev.aenstream.online.SaeDefinition> definitions(TrainConfig base) {
        return (saes.isEmpty() ? java.util.List.of("aen:aen") : saes)
                .stream()
                        .map(spec -> SaeSpec.parse(spec, base))
                        .map(
                                d ->
                                        targetL0 != null && d.config().has(TopK.K)
                                                ? new dev.aenstream.online.SaeDefinition(
                                                        d.saeId(),
                                                        d.config()
                                                                .with(
                                                                        TopK.K,
                                                                        SparsityTarget.topK(
                                                                                targetL0)))
                                                : d)
                        .toList();
    }

    /**
     * The online trainer's configuration: its flags, --checkpoint-dir, and --target-l0 for the
     * penalised SAEs' lambda1.
     */
    OnlineTrainerConfig onlineConfig(dev.aenstream.avro.Topics topics) {
        OnlineTrainerConfig config = online.config(topics, checkpointDir);
        if (matchFrom != null) config = config.with(OnlineTrainerConfig.SETTLE_STEPS, matchFrom);
        return targetL0 == null ? config : config.with(OnlineTrainerConfig.TARGET_L0, targetL0);
    }

    private int trainFromKafka() throws Exception {
        if (resume && checkpointDir == null)
            throw new IllegalArgumentException("--resume needs --checkpoint-dir");
        TrainConfig base =
                switch (setting) {
                    case "language-model" -> hyper.languageModel(synthetic.n());
                    case "synthetic" -> hyper.synthetic(synthetic.n());
                    default ->
                            throw new IllegalArgumentException(
                                    "--setting must be language-model or synthetic, got "
                                            + setting);
                };
        java.util.List<dev.aenstream.online.SaeDefinition> definitions = definitions(base);
        java.util.concurrent.atomic.AtomicBoolean stop =
                new java.util.concurrent.atomic.AtomicBoolean();
        // Ctrl-C and SIGTERM end the loop, which ends with a checkpoint.
        StopSignals.onStop(() -> stop.set(true));
        try (AutoCloseable endpoint = metrics.start(dashboard);
                KafkaTarget target = KafkaTarget.open(kafka);
                AutoCloseable web = dashboard.start(target.connection(), target.topics());
                dev.aenstream.node.TrainerNode trainer =
                        dev.aenstream.node.TrainerNode.open(
                                target.connection(),
                                onlineConfig(target.topics()),
                                definitions,
                                resume,
                                device.device(),
                                ortThreads.ortThreads())) {
            for (var d : definitions) {
                TrainConfig c = d.config();
                System.out.printf(
                        "training %s (%s) n=%d D=%d batch=%d %s from %s%n",
                        d.saeId(),
                        c.penalty().label(),
                        c.n(),
                        c.d(),
                        c.get(TrainConfig.BATCH),
                        c.describePenalty(),
                        target.topics().activations());
            }
            var progress =
                    java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                            Daemon.threads("aen-train-progress"));
            progress.scheduleAtFixedRate(
                    () ->
                            trainer.metrics()
                                    .forEach(
                                            m ->
                                                    System.out.printf(
                                                            "%-8s step %7d  l0 %6.1f  fve %6.3f "
                                                                + " dead %5.1f%%  sat %6s  phi"
                                                                + " %4.2f  %,8.0f tokens/s  v%d%n",
                                                            m.saeId(),
                                                            m.step(),
                                                            m.l0(),
                                                            m.fve(),
                                                            m.deadPct(),
                                                            saturation(m, "%.1f%%"),
                                                            m.warmupFactor(),
                                                            m.tokensPerS(),
                                                            trainer.publishedVersions()
                                                                    .getOrDefault(m.saeId(), 0L))),
                    5,
                    5,
                    java.util.concurrent.TimeUnit.SECONDS);
            trainer.run(stop::get);
            progress.shutdownNow();
            System.out.printf(
                    "read %,d rows in %,d batches; skipped %d unusable records; passed over %d"
                            + " records of other sources than %s%n",
                    trainer.rowsRead(),
                    trainer.batchesTaken(),
                    trainer.skippedRecords(),
                    trainer.recordsMismatched(),
                    trainer.source());
            if (trainer.recordsSkippedForLag() > 0)
                System.out.printf(
                        "skipped %,d records to keep up with the stream (--lag-policy"
                                + " skip-to-latest)%n",
                        trainer.recordsSkippedForLag());
        }
        return 0;
    }

    /** The share of pinned adaptive weights in percent, or "-" for an SAE without them. */
    private static String saturation(TrainingMetrics m, String format) {
        return m.weightSaturation() == null
                ? "-"
                : String.format(format, 100 * m.weightSaturation());
    }

    private static void print(Trainer t) {
        TrainingMetrics m = t.metrics();
        TrainConfig c = t.config();
        System.out.printf(
                "%8d %10.5f %10.5f %10.5f %8.1f %7.3f %7.2f %6s %5.2f %10s %,10.0f%n",
                m.step(),
                m.mse(),
                m.l1(),
                m.l2(),
                m.l0(),
                m.fve(),
                m.deadPct(),
                saturation(m, "%.1f"),
                m.warmupFactor(),
                c.has(Penalised.LAMBDA1) ? String.format("%.3g", c.get(Penalised.LAMBDA1)) : "-",
                m.tokensPerS());
    }
}
