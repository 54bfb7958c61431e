package dev.aenstream.cli;

import dev.aenstream.avro.Normalisation;
import dev.aenstream.bench.CodesTally;
import dev.aenstream.bench.Daemon;
import dev.aenstream.cli.options.DSaeOption;
import dev.aenstream.cli.options.DashboardOptions;
import dev.aenstream.cli.options.DeviceOption;
import dev.aenstream.cli.options.KMaxOption;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.cli.options.LingerOption;
import dev.aenstream.cli.options.MetricsOptions;
import dev.aenstream.cli.options.MonitorOptions;
import dev.aenstream.cli.options.RowNormaliseOption;
import dev.aenstream.cli.options.RowsPerRecordOption;
import dev.aenstream.cli.options.SaeSpec;
import dev.aenstream.cli.options.SpliceOptions;
import dev.aenstream.cli.options.SyntheticOptions;
import dev.aenstream.cli.options.TextOptions;
import dev.aenstream.dashboard.DashboardFeed;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.experiment.StarvationPreset;
import dev.aenstream.models.ModelSigning;
import dev.aenstream.models.ModelTrust;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.node.EncoderNode;
import dev.aenstream.node.TemporaryState;
import dev.aenstream.node.TrainerNode;
import dev.aenstream.online.OnlineTrainerConfig;
import dev.aenstream.online.SaeDefinition;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.train.SparsityTarget;
import dev.aenstream.sae.train.TrainConfig;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * A bounded end-to-end run: broker, synthetic producer, online trainers, encoders following their
 * versions.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Run the whole loop for a while and show it: an embedded broker (unless"
                + " --bootstrap-servers), the synthetic spiked producer, AEN-SAE and a TopK"
                + " baseline at the same L0 trained side by side from the stream and publishing"
                + " versions, and the Kafka Streams encoders serving those versions live. Prints"
                + " progress, then a summary per SAE (and --summary-json)."
        })
final class DemoCommand implements Callable<Integer> {
    /** What the demo trains without --sae; its help text names these architectures. */
    static final List<String> DEFAULT_SAES = List.of("aen:aen", "topk:topk");

    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration FIRST_MODELS_TIMEOUT = Duration.ofSeconds(60);

    /** One ONNX Runtime thread per session: trainer, encoder and producer share two cores here. */
    private static final int ORT_THREADS = 1;

    /**
     * Rows per training step on language-model rows: small, so a short demo still makes hundreds of
     * steps.
     */
    private static final int DEMO_BATCH = 256;

    /** Steps between trainer-metrics records: often, so the demo's short run draws a curve. */
    private static final long DEMO_METRICS_EVERY = 50;

    private static final long TICK_MS = 5_000;

    /**
     * The demo's data: independent atoms (rho 0). At rho 0.3, where the authors' TopK loses 96% of
     * its features, every architecture loses most of them in the demo's first few hundred steps on
     * two cores (measured: AEN 89%, TopK 88%); at rho 0 TopK starves within the minute and AEN does
     * not (docs/experiments.md).
     */
    static final double DEMO_RHO = 0;

    /**
     * Where AEN's lambda1 starts: where matched sparsity ended at L0 16 on this data in the quick
     * study, so the demo's few hundred steps need not find it.
     */
    static final double DEMO_LAMBDA1 = 0.01;

    /** Steps before lambda1 moves, for SAEs other than AEN (AEN's waits out --warmup). */
    static final long DEMO_SETTLE_STEPS = 150;

    /**
     * The demo's dead window: 200 steps of 256 rows, so starvation shows within its minute (the
     * shared default, 2,560,000 tokens, would take the demo's trainers ten minutes to fill once).
     */
    static final long DEMO_DEAD_WINDOW_TOKENS = 51_200;

    @Spec CommandSpec spec;

    @Option(
            names = "--target-l0",
            paramLabel = "L0",
            description =
                    "Matched sparsity: TopK SAEs take k = L0 and penalised ones move lambda1"
                            + " towards it (default: ${DEFAULT-VALUE}).")
    double targetL0 = StarvationPreset.DEFAULT_TARGET_L0;

    @Option(
            names = "--secure",
            description =
                    "Run the loop on an embedded broker with SASL_SSL (SCRAM-SHA-512 over TLS,"
                            + " certificates made for the run) and ACLs, each component as its own"
                            + " principal with only the ACLs it needs (docs/security.md).")
    boolean secure;

    @Mixin KafkaOptions kafka;
    @Mixin SyntheticOptions synthetic;
    @Mixin MetricsOptions metrics;
    @Mixin MonitorOptions monitor;
    @Mixin TextOptions text;
    @Mixin RowNormaliseOption rowNormalise;
    @Mixin SpliceOptions splice;
    @Mixin DashboardOptions dashboard;
    @Mixin LingerOption linger;

    @Option(
            names = "--source",
            paramLabel = "synthetic|minilm|MODEL",
            description =
                    "What produces activations: docs/aen-sae.md's synthetic spiked data, 'minilm'"
                        + " (all-MiniLM-L6-v2 from the langchain4j Maven artifact reading --text,"
                        + " by default English Europarl speeches), or the path of an ONNX language"
                        + " model with its tokenizer.json (then --hook is required) (default:"
                        + " ${DEFAULT-VALUE}).")
    String source = "synthetic";

    @Option(
            names = "--sae",
            paramLabel = "ID[:ARCH][,key=value...]",
            description =
                    "SAEs to train and serve (repeatable; default: aen:aen beside topk:topk, the"
                            + " baseline that starves on the demo's data).")
    List<String> saes = new ArrayList<>();

    @Mixin DSaeOption dSae;

    @Option(
            names = "--warmup",
            paramLabel = "STEPS",
            description = "T_warm of the SAEs (default: ${DEFAULT-VALUE}).")
    long warmup = 500;

    @Option(
            names = "--ramp",
            paramLabel = "STEPS",
            description = "T_ramp of the SAEs (default: ${DEFAULT-VALUE}).")
    long ramp = 500;

    @Option(
            names = "--publish-every",
            paramLabel = "STEPS",
            description = "Steps between published versions (default: ${DEFAULT-VALUE}).")
    long publishEvery = 200;

    @Mixin KMaxOption kMax;

    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            description = "Seconds to produce for (default: ${DEFAULT-VALUE}).")
    long durationSeconds = 60;

    @Option(
            names = "--rate",
            paramLabel = "ROWS_PER_S",
            description =
                    "Rows (tokens) per second to produce at most; 0 for as fast as possible"
                            + " (default: ${DEFAULT-VALUE}).")
    double rate = 10000;

    @Mixin RowsPerRecordOption recordRows;
    @Mixin DeviceOption device;

    @Option(
            names = "--summary-json",
            paramLabel = "PATH",
            description = "Write the summary as JSON.")
    Path summaryJson;

    @Override
    public Integer call() throws Exception {
        if (durationSeconds <= 0)
            throw new IllegalArgumentException(
                    "--duration must be positive, got " + durationSeconds);
        linger.validate();
        Device dev = device.device();
        ParseResult given = spec.commandLine().getParseResult();
        SpikedConfig data = synthetic.config();
        // The demo's own coherence unless --rho says otherwise (the generator's may differ).
        if (!given.hasMatchedOption("--rho"))
            data = data.toBuilder().set(SpikedConfig.RHO, DEMO_RHO).build();
        try (DemoSource feed =
                source.equals("synthetic")
                        ? DemoSource.synthetic(data)
                        : DemoSource.transformer(
                                source, text, rowNormalise.normalise, dev, ORT_THREADS)) {
            return run(feed, dev);
        }
    }

    private int run(DemoSource feed, Device dev) throws Exception {
        boolean languageModel = !source.equals("synthetic");
        boolean normalised = feed.normalisation() == Normalisation.UNIT_SQRT_N;
        // Language-model rows follow the language-model defaults of docs/aen-sae.md, with the
        // demo's batch so that steps come often.
        TrainConfig base =
                (languageModel
                                ? TrainConfig.languageModel(Penalties.AEN, feed.n(), dSae.dSae())
                                        .with(TrainConfig.BATCH, DEMO_BATCH)
                                : TrainConfig.synthetic(Penalties.AEN, feed.n(), dSae.dSae()))
                        .toBuilder()
                                .set(AdaptiveWeights.T_WARM, warmup)
                                .set(AdaptiveWeights.T_RAMP, ramp)
                                .set(TopK.K, SparsityTarget.topK(targetL0))
                                .set(TrainConfig.DEAD_WINDOW_TOKENS, deadWindow())
                                .build();
        List<SaeDefinition> definitions =
                (saes.isEmpty() ? DEFAULT_SAES : saes)
                        .stream().map(s -> SaeSpec.parse(s, base)).toList();
        long started = System.nanoTime();
        AtomicReference<String> progress = new AtomicReference<>("starting");
        String runId = Long.toString(System.currentTimeMillis());
        AtomicBoolean stop = new AtomicBoolean();
        // Ctrl-C ends the demo early, with its drain and summary, instead of mid-step.
        AtomicBoolean cut = new AtomicBoolean();
        StopSignals.onStop(() -> cut.set(true));
        ExecutorService threads = Executors.newFixedThreadPool(2, Daemon.threads("aen-demo"));
        // The demo's trainer signs with a key made for the run, which its encoders alone trust.
        KeyPair signing = ModelSigning.generate();
        try (AutoCloseable endpoint = metrics.start(dashboard);
                KafkaTarget target = secured(KafkaTarget.open(kafka, secure), runId);
                TrainerNode trainer =
                        TrainerNode.open(
                                target.connection("trainer"),
                                OnlineTrainerConfig.builder(target.topics())
                                        .set(OnlineTrainerConfig.GROUP_ID, trainerGroup(runId))
                                        .signingKeys(signing)
                                        .set(OnlineTrainerConfig.CHECKPOINT_EVERY, 1)
                                        .set(OnlineTrainerConfig.PUBLISH_EVERY, publishEvery)
                                        .set(OnlineTrainerConfig.METRICS_EVERY, DEMO_METRICS_EVERY)
                                        .set(OnlineTrainerConfig.NORMALISE, normalised)
                                        .kMax(kMax.kMax())
                                        .set(OnlineTrainerConfig.TARGET_L0, targetL0)
                                        .set(OnlineTrainerConfig.SETTLE_STEPS, DEMO_SETTLE_STEPS)
                                        .build(),
                                definitions,
                                false,
                                dev,
                                ORT_THREADS);
                // Each demo is a new application: its stores go when it ends.
                TemporaryState state = TemporaryState.create("aen-streams-");
                EncoderNode encoder =
                        EncoderNode.following(
                                target.connection("encoder"),
                                EncodeConfig.defaults(target.topics(), state.dir())
                                        .withApplicationId(applicationId(runId))
                                        .withMonitor(monitorConfig()),
                                new EncoderNode.Following(
                                        feed.n(),
                                        ModelTrust.signedBy(List.of(signing.getPublic())),
                                        dev,
                                        ORT_THREADS,
                                        DictionaryShard.WHOLE));
                DashboardFeed observed =
                        new DashboardFeed(target.connection("dashboard"), target.topics()).start();
                AutoCloseable web =
                        dashboard.startForDemo(
                                observed, () -> Map.of("progress", progress.get()))) {
            System.out.printf(
                    "Kafka at %s%s; topics %s*%n",
                    target.connection(),
                    target.embedded() ? " (embedded)" : "",
                    target.topics().prefix());
            Future<?> training =
                    threads.submit(
                            () -> {
                                trainer.run(stop::get);
                                return null;
                            });
            if (!encoder.awaitServing(definitions.size(), FIRST_MODELS_TIMEOUT)) {
                throw new IllegalStateException(
                        "the encoders did not receive the first model versions within "
                                + FIRST_MODELS_TIMEOUT);
            }
            encoder.serving()
                    .forEach(
                            s ->
                                    System.out.printf(
                                            "encoders serve %s v%d: n=%d, D=%d, k_max=%d on %s%n",
                                            s.saeId(),
                                            s.version(),
                                            s.encoder().n(),
                                            s.encoder().d(),
                                            s.encoder().kMax(),
                                            s.encoder().device().label()));

            PublisherConfig publisherConfig =
                    PublisherConfig.of(
                                    target.topics().activations(),
                                    feed.sourceModel(),
                                    feed.hookPoint(),
                                    "demo-" + runId)
                            .with(PublisherConfig.ROWS_PER_RECORD, recordRows.rowsPerRecord())
                            .withNormalisation(feed.normalisation());
            System.out.printf(
                    "source %s, hook %s, n=%d%n", feed.sourceModel(), feed.hookPoint(), feed.n());
            try (CodesTally tally =
                            new CodesTally(
                                    target.connection("dashboard"),
                                    target.topics(),
                                    publisherConfig.producerId());
                    ActivationPublisher publisher =
                            new ActivationPublisher(
                                    target.connection("producer"), publisherConfig);
                    Splicing splicing =
                            Splicing.demo(
                                    splice,
                                    feed,
                                    encoder::serving,
                                    target.connection("producer"),
                                    target.topics(),
                                    publisherConfig.producerId(),
                                    dev,
                                    ORT_THREADS)) {
                encoder.startEncoding().withMetrics();
                Future<Long> produced = threads.submit(() -> feed.run(publisher, rate, stop::get));
                long begin = System.nanoTime();
                long end = begin + TimeUnit.SECONDS.toNanos(durationSeconds);
                while (System.nanoTime() < end && !cut.get()) {
                    Thread.sleep(
                            Math.min(TICK_MS, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                    String line =
                            String.format(
                                    "%.0f s of %d: %,d rows produced, %,d tokens encoded",
                                    (System.nanoTime() - begin) / 1e9,
                                    durationSeconds,
                                    publisher.rowsPublished(),
                                    tally.tokens());
                    progress.set(line);
                    System.out.println();
                    System.out.println(line);
                    String now = feed.now();
                    if (!now.isEmpty()) System.out.println(now);
                    DemoReport.printTable(trainer, tally.saes(), observed);
                }
                long producing = System.nanoTime();
                stop.set(true);
                long rowsProduced = produced.get(60, TimeUnit.SECONDS);
                training.get(120, TimeUnit.SECONDS);
                long drainEnd = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
                while (tally.tokens() < rowsProduced && System.nanoTime() < drainEnd)
                    Thread.sleep(100);
                DemoReport.writeSummary(
                        summaryJson,
                        targetL0,
                        deadWindow(),
                        target,
                        feed,
                        trainer,
                        rowsProduced,
                        tally,
                        encoder.serving(),
                        observed,
                        (System.nanoTime() - started) / 1e9,
                        (producing - begin) / 1e9);
                linger.await(cut::get, progress::set);
            }
        } finally {
            stop.set(true);
            threads.shutdownNow();
        }
        return 0;
    }

    /** The dead window of trainer and monitor alike: --dead-window, or the demo's own. */
    private long deadWindow() {
        MonitorConfig given = monitor.config();
        boolean set = spec.commandLine().getParseResult().hasMatchedOption("--dead-window");
        return set && given != null
                ? given.get(MonitorConfig.DEAD_TOKENS)
                : DEMO_DEAD_WINDOW_TOKENS;
    }

    private static String applicationId(String runId) {
        return "aen-demo-" + runId;
    }

    private static String trainerGroup(String runId) {
        return "aen-demo-trainer-" + runId;
    }

    /**
     * {@code target}, its components granted their ACLs when it is secured; says what it secured.
     */
    private static KafkaTarget secured(KafkaTarget target, String runId) throws Exception {
        int acls;
        try {
            acls = target.grant(applicationId(runId), trainerGroup(runId));
        } catch (Exception e) {
            target.close();
            throw e;
        }
        if (!target.secure()) return target;
        System.out.printf(
                "secured: SASL_SSL with SCRAM-SHA-512 over TLS (CA %s), an ACL authoriser, %d ACLs"
                        + " for principals %s%n",
                target.security().caCertificate(),
                acls,
                String.join(", ", dev.aenstream.broker.BrokerSecurity.COMPONENTS));
        return target;
    }

    private MonitorConfig monitorConfig() {
        MonitorConfig c = monitor.config();
        return c == null
                ? null
                : c.toBuilder().set(MonitorConfig.DEAD_TOKENS, deadWindow()).build();
    }
}
