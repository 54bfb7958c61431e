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
import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.online.OnlineTrainerConfig;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.Arch;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.eval.DictionaryMatch;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.sae.train.Checkpoints;
import dev.aenstream.sae.train.StepResult;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.Trainer;
import dev.aenstream.sae.train.TrainingMetrics;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
            "Train SAEs: AEN-SAE (aen) or a baseline (l1, elastic, alasso, topk) with"
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
            description = "Training steps to reach (default: ${DEFAULT-VALUE}).")
    long steps = 6000;

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
            names = "--checkpoint-every",
            paramLabel = "STEPS",
            description =
                    "Steps between checkpoints (default: ${DEFAULT-VALUE}); one is also written at"
                            + " the end.")
    long checkpointEvery = OnlineTrainerConfig.DEFAULT_CHECKPOINT_EVERY;

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
        String from =
                source != null
                        ? source
                        : (kafka.bootstrapServers != null || !saes.isEmpty()
                                ? "kafka"
                                : "synthetic");
        if (from.equals("kafka")) return trainFromKafka();
        if (!from.equals("synthetic"))
            throw new IllegalArgumentException("--source must be synthetic or kafka, got " + from);
        if (steps <= 0 || progressEvery <= 0 || checkpointEvery <= 0)
            throw new IllegalArgumentException("step counts must be positive");
        if (resume && checkpointDir == null)
            throw new IllegalArgumentException("--resume needs --checkpoint-dir");
        SpikedConfig data = synthetic.config();
        TrainConfig config = hyper.synthetic(data.n());
        String id = saeId != null ? saeId : config.arch().label();
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
            System.out.printf(
                    "training %s (%s) n=%d D=%d batch=%d lambda1=%g lambda2=%g warm-up %d+%d on"
                            + " %s%s%n",
                    id,
                    run.arch().label(),
                    run.n(),
                    run.d(),
                    run.batch(),
                    run.lambda1(),
                    run.effectiveLambda2(),
                    run.tWarm(),
                    run.tRamp(),
                    trainer.trainStep().device().label(),
                    checkpoint != null ? ", resumed at step " + trainer.stepsDone() : "");
            System.out.printf(
                    "%8s %10s %10s %10s %8s %7s %7s %6s %5s %10s%n",
                    "step", "mse", "l1", "l2", "l0", "fve", "dead%", "sat%", "phi", "tokens/s");
            float[] x = new float[run.batch() * run.n()];
            long batchIndex = trainer.stepsDone();
            while (trainer.stepsDone() < steps) {
                // Batches are indexed by attempts so that a skipped step does not replay the same
                // rows.
                generator.batch(batchIndex++, x, run.batch(), null, null);
                StepResult r = trainer.step(x, 0, run.batch());
                long done = trainer.stepsDone();
                if (!r.applied())
                    System.out.printf("step %d skipped: non-finite loss or gradient%n", r.step());
                if (r.applied() && (done % progressEvery == 0 || done == steps))
                    print(trainer.metrics());
                if (checkpointDir != null
                        && r.applied()
                        && (done % checkpointEvery == 0 || done == steps)) {
                    trainer.checkpoint(
                            checkpointDir, Map.of("batch_index", Long.toString(batchIndex)));
                }
            }
            Map<String, Object> summary = evaluate(trainer, generator);
            System.out.printf(
                    "dict_cos %.3f, support precision %.3f recall %.3f F1 %.3f; eval l0 %.1f, fve"
                            + " %.3f; dead %.2f%%%n",
                    summary.get("dict_cos"),
                    summary.get("support_precision"),
                    summary.get("support_recall"),
                    summary.get("support_f1"),
                    summary.get("l0"),
                    summary.get("fve"),
                    summary.get("dead_pct"));
            SummaryJson.write(summaryJson, summary);
        }
        return 0;
    }

    private int trainFromKafka() throws Exception {
        if (resume && checkpointDir == null)
            throw new IllegalArgumentException("--resume needs --checkpoint-dir");
        TrainConfig base =
                switch (setting) {
                    case "language-model" -> hyper.languageModel(synthetic.n);
                    case "synthetic" -> hyper.synthetic(synthetic.n);
                    default ->
                            throw new IllegalArgumentException(
                                    "--setting must be language-model or synthetic, got "
                                            + setting);
                };
        java.util.List<dev.aenstream.online.SaeDefinition> definitions =
                (saes.isEmpty() ? java.util.List.of("aen:aen") : saes)
                        .stream().map(spec -> SaeSpec.parse(spec, base)).toList();
        java.util.concurrent.atomic.AtomicBoolean stop =
                new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
        // Ctrl-C lets the loop end with a checkpoint; an exit after the loop has ended waits for
        // nothing.
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    stop.set(true);
                                    try {
                                        finished.await(60, java.util.concurrent.TimeUnit.SECONDS);
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                }));
        try (AutoCloseable endpoint = metrics.start();
                KafkaTarget target = KafkaTarget.open(kafka);
                AutoCloseable web = dashboard.start(target.bootstrapServers(), target.topics());
                dev.aenstream.online.OnlineTrainer trainer =
                        dev.aenstream.online.OnlineTrainer.open(
                                target.bootstrapServers(),
                                online.config(target.topics(), checkpointDir, checkpointEvery),
                                definitions,
                                resume,
                                device.device(),
                                ortThreads.ortThreads())) {
            for (var d : definitions) {
                TrainConfig c = d.config();
                System.out.printf(
                        "training %s (%s) n=%d D=%d batch=%d lambda1=%g lambda2=%g warm-up %d+%d"
                                + " from %s%n",
                        d.saeId(),
                        c.arch().label(),
                        c.n(),
                        c.d(),
                        c.batch(),
                        c.lambda1(),
                        c.effectiveLambda2(),
                        c.tWarm(),
                        c.tRamp(),
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
                                                                + " dead %5.1f%%  sat %5.1f%%  phi"
                                                                + " %4.2f  %,8.0f tokens/s  v%d%n",
                                                            m.saeId(),
                                                            m.step(),
                                                            m.l0(),
                                                            m.fve(),
                                                            m.deadPct(),
                                                            100 * m.weightSaturation(),
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
                    "read %,d rows in %,d batches; skipped %d unusable records%n",
                    trainer.rowsRead(), trainer.batchesTaken(), trainer.skippedRecords());
        } finally {
            finished.countDown();
        }
        return 0;
    }

    private static void print(TrainingMetrics m) {
        System.out.printf(
                "%8d %10.5f %10.5f %10.5f %8.1f %7.3f %7.2f %6.1f %5.2f %,10.0f%n",
                m.step(),
                m.mse(),
                m.l1(),
                m.l2(),
                m.l0(),
                m.fve(),
                m.deadPct(),
                100 * m.weightSaturation(),
                m.warmupFactor(),
                m.tokensPerS());
    }

    /** Codes of fresh rows with the trained SAE: l0, fve, dictionary match and support scores. */
    private Map<String, Object> evaluate(Trainer trainer, SpikedGenerator generator)
            throws Exception {
        TrainConfig run = trainer.config();
        SaeParameters params = trainer.trainStep().parameters();
        int n = run.n();
        int d = run.d();
        int k = generator.config().k();
        float[] x = new float[evalRows * n];
        int[] support = new int[evalRows * k];
        float[] magnitudes = new float[evalRows * k];
        // An index far past any training batch: evaluation rows are never trained on.
        generator.batch(Long.MAX_VALUE / 2, x, evalRows, support, magnitudes);
        int kMax = run.arch() == Arch.TOPK ? run.k() : d;
        float[] codes = new float[evalRows * d];
        // The fve from the same sums the stream statistics keep, over every evaluation row.
        FeatureAccumulator reconstruction =
                new FeatureAccumulator(trainer.saeId(), trainer.stepsDone(), d, 0);
        try (SaeEncoder encoder =
                SaeEncoder.open(
                        params,
                        new EncoderSpec(kMax, false),
                        Device.CPU,
                        ortThreads.ortThreads())) {
            var sparse = encoder.encode(FloatBuffer.wrap(x), evalRows);
            for (int r = 0; r < evalRows; r++)
                System.arraycopy(sparse.denseRow(r), 0, codes, r * d, d);
            reconstruction.addReconstruction(
                    FloatBuffer.wrap(x), sparse, SaeDecoder.of(params), false, 1);
        }
        double l0 = 0;
        for (float c : codes) if (c > 1e-12) l0++;
        DictionaryMatch match =
                DictionaryMatch.of(params, generator.dictionary(), generator.config().atoms());
        DictionaryMatch.Support s = match.support(codes, evalRows, d, support, k);
        TrainingMetrics m = trainer.metrics();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("sae_id", trainer.saeId());
        summary.put("arch", run.arch().label());
        summary.put("steps", trainer.stepsDone());
        summary.put("l0", l0 / evalRows);
        summary.put("fve", reconstruction.fve());
        summary.put("dead_pct", m.deadPct());
        summary.put("dict_cos", match.dictCos());
        summary.put("support_precision", s.precision());
        summary.put("support_recall", s.recall());
        summary.put("support_f1", s.f1());
        summary.put("tokens_per_s", m.tokensPerS());
        summary.put("weight_saturation", m.weightSaturation());
        summary.put("train_l0", m.l0());
        summary.put("train_fve", m.fve());
        summary.put("tokens", m.tokens());
        summary.put("dead_window_tokens", run.deadWindowTokens());
        summary.put("eval_rows", evalRows);
        summary.put("device", trainer.trainStep().device().label());
        return summary;
    }
}
