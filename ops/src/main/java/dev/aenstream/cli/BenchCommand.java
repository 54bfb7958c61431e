package dev.aenstream.cli;

import dev.aenstream.bench.MatmulOnlyGraph;
import dev.aenstream.bench.PipelineBench;
import dev.aenstream.bench.TrainingRate;
import dev.aenstream.cli.options.DeviceOption;
import dev.aenstream.cli.options.HyperparameterOptions;
import dev.aenstream.cli.options.KMaxOption;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.cli.options.OrtThreadsOption;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.produce.synthetic.SyntheticFeed;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.setting.Profile;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Benchmarks that report throughput as a ratio to a limit measured in the same run. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Measure throughput against the limits of the same run. Without a subcommand, for each"
                + " SAE shape: (a) raw Kafka produce-and-consume of activation records, (b) ONNX"
                + " Runtime encoding alone (against its bare matrix product), (c) end to end,"
                + " publisher -> Kafka Streams encoder (exactly-once, statistics on) -> codes read"
                + " back committed (against the harmonic limit 1/(1/a + 1/b)), (d) training"
                + " tokens/s (against the step's five matrix products). Rows are counted over the"
                + " second half of each phase, once the JIT has settled."
        },
        subcommands = {
            BenchCommand.Train.class,
            BenchCommand.Stats.class,
            BenchCommand.Scale.class
        })
final class BenchCommand implements Callable<Integer> {
    private static final double WARMUP_SHARE = 0.25;
    private static final double MIN_WARMUP_SECONDS = 60;
    @Mixin KafkaOptions kafka;

    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            description =
                    "Measuring time over all shapes and phases; set-up, including a JIT warm-up"
                            + " (--warmup-seconds), comes on top (default: ${DEFAULT-VALUE}).")
    long durationSeconds = 120;

    @Option(
            names = "--shape",
            paramLabel = "N:D",
            split = ",",
            description =
                    "SAE shapes, row width n and dictionary size D (repeatable; default: 512:4096"
                            + " and 384:3072).")
    List<String> shapes = new ArrayList<>();

    @Mixin KMaxOption kMax;

    @Option(
            names = "--warmup-seconds",
            paramLabel = "SECONDS",
            description =
                    "Unmeasured end-to-end run first, so the JIT has compiled the hot paths"
                            + " (default: a quarter of --duration, at least 60).")
    Double warmupSeconds;

    @Option(
            names = "--rows-per-record",
            paramLabel = "ROWS",
            description = "Rows per activation record (default: ${DEFAULT-VALUE}).")
    int rowsPerRecord = dev.aenstream.produce.PublisherConfig.DEFAULT_ROWS_PER_RECORD;

    @Option(
            names = "--train-batch",
            paramLabel = "ROWS",
            description = "Rows per training step (default: ${DEFAULT-VALUE}).")
    int trainBatch = TrainConfig.BATCH.defaults().at(Profile.LANGUAGE_MODEL, 0);

    @Mixin DeviceOption device;

    @Option(
            names = "--stream-threads",
            paramLabel = "THREADS",
            description =
                    "Kafka Streams threads of the encoder, as `aen encode --stream-threads`"
                            + " (default: one per core).")
    Integer streamThreads;

    @Option(
            names = "--ort-threads",
            paramLabel = "THREADS",
            description =
                    "ONNX Runtime threads per encode call, as `aen encode --ort-threads`; with a"
                            + " stream thread per core, one each keeps every core busy without"
                            + " oversubscription (default: ${DEFAULT-VALUE}).")
    int ortThreads = 1;

    @Option(
            names = "--summary-json",
            paramLabel = "PATH",
            description =
                    "Write the figures as JSON: the first shape's at the top level"
                        + " (kafka_rows_per_s, encode_rows_per_s, e2e_rows_per_s, train_rows_per_s,"
                        + " e2e_ratio, ...), every shape under 'shapes'.")
    Path summaryJson;

    @Override
    public Integer call() throws Exception {
        List<PipelineBench.Shape> list =
                (shapes.isEmpty() ? List.of("512:4096", "384:3072") : shapes)
                        .stream().map(PipelineBench.Shape::parse).toList();
        if (durationSeconds <= 0 || kMax.kMax() <= 0 || rowsPerRecord <= 0 || trainBatch <= 0) {
            throw new IllegalArgumentException(
                    "--duration, --k-max, --rows-per-record and --train-batch must be positive");
        }
        String run = Long.toString(System.currentTimeMillis());
        int cores = Runtime.getRuntime().availableProcessors();
        List<Map<String, Object>> perShape = new ArrayList<>();
        try (KafkaTarget target = KafkaTarget.open(kafka)) {
            int threads = streamThreads != null ? streamThreads : cores;
            PipelineBench bench =
                    new PipelineBench(
                            target.connection(),
                            run,
                            rowsPerRecord,
                            kMax.kMax(),
                            device.device(),
                            trainBatch,
                            threads,
                            ortThreads);
            System.out.printf(
                    "aen bench: %d shapes, %d s of measuring, %d cores, Kafka at %s%s, %d rows per"
                            + " record, k_max %d%n",
                    list.size(),
                    durationSeconds,
                    cores,
                    target.connection(),
                    target.embedded() ? " (embedded)" : "",
                    rowsPerRecord,
                    kMax.kMax());
            double warm =
                    warmupSeconds != null
                            ? warmupSeconds
                            : Math.max(MIN_WARMUP_SECONDS, WARMUP_SHARE * durationSeconds);
            if (warm > 0) bench.warmUp(list.get(0), warm);
            for (PipelineBench.Shape shape : list) {
                System.out.println(shape + ":");
                PipelineBench.Figures f = bench.run(shape, (double) durationSeconds / list.size());
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("n", shape.n());
                m.put("d_sae", shape.d());
                m.put("kafka_rows_per_s", f.kafka());
                m.put("encode_rows_per_s", f.encode());
                m.put("encode_matmul_rows_per_s", f.matmul());
                m.put("encode_ratio", f.encode() / f.matmul());
                m.put("e2e_rows_per_s", f.e2e());
                m.put("harmonic_limit_rows_per_s", f.harmonicLimit());
                m.put("e2e_ratio", f.e2eRatio());
                m.put("train_rows_per_s", f.train());
                m.put("train_matmul_rows_per_s", f.trainMatmul());
                m.put("train_ratio", f.train() / f.trainMatmul());
                m.put("train_batch", f.trainBatch());
                m.put("e2e_profile", f.e2eProfile());
                perShape.add(m);
            }
        }
        System.out.println();
        System.out.printf(
                "%-14s %12s %12s %12s %8s %12s %8s%n",
                "shape", "kafka rows/s", "encode", "e2e", "e2e/lim", "train tok/s", "train/mm");
        for (Map<String, Object> m : perShape) {
            System.out.printf(
                    "%-14s %,12.0f %,12.0f %,12.0f %8.2f %,12.0f %8.2f%n",
                    "n=" + m.get("n") + " D=" + m.get("d_sae"),
                    m.get("kafka_rows_per_s"),
                    m.get("encode_rows_per_s"),
                    m.get("e2e_rows_per_s"),
                    m.get("e2e_ratio"),
                    m.get("train_rows_per_s"),
                    m.get("train_ratio"));
        }
        Map<String, Object> summary = new LinkedHashMap<>(perShape.get(0));
        summary.put("shapes", perShape);
        summary.put("duration_s", durationSeconds);
        summary.put("rows_per_record", rowsPerRecord);
        summary.put("k_max", kMax.kMax());
        summary.put("cores", cores);
        summary.put("stream_threads", streamThreads != null ? streamThreads : cores);
        summary.put("ort_threads", ortThreads);
        summary.put("sae_l0", PipelineBench.L0);
        SummaryJson.write(summaryJson, summary);
        return 0;
    }

    @Command(
            name = "scale",
            mixinStandardHelpOptions = true,
            description = {
                "One large SAE version through the whole path: a sparse-initialised synthetic SAE"
                    + " of n x D (Llama-3.1-8B's layer-16 SAE by default, 2 x 2 GiB of weights) is"
                    + " published to the models topic, followed, spooled to disk, checked and"
                    + " loaded by an encoder's model follower; a few rows' codes are checked"
                    + " against a direct computation; then encode throughput is timed against ONNX"
                    + " Runtime's bare matrix product of the same shape (encode_ratio). Reports the"
                    + " time and peak resident memory to publish and to load. Needs free disk for"
                    + " the version twice (broker log and the follower's spool) and memory for it"
                    + " about three times."
            })
    static final class Scale implements Callable<Integer> {
        @Mixin KafkaOptions kafka;

        @Option(
                names = "--n",
                paramLabel = "N",
                description = "Row width n (default: ${DEFAULT-VALUE}).")
        int n = 4096;

        @Option(
                names = "--d-sae",
                paramLabel = "D",
                description = "Dictionary size D (default: ${DEFAULT-VALUE}).")
        int dSae = 131_072;

        @Mixin KMaxOption kMax;

        @Option(
                names = "--rows-per-call",
                paramLabel = "ROWS",
                description = "Rows per encode call when timing (default: ${DEFAULT-VALUE}).")
        int rowsPerCall = dev.aenstream.produce.PublisherConfig.DEFAULT_ROWS_PER_RECORD;

        @Option(
                names = "--duration",
                paramLabel = "SECONDS",
                description =
                        "Timing of the encoder and of the bare product together (default:"
                                + " ${DEFAULT-VALUE}).")
        double durationSeconds = 60;

        @Mixin DeviceOption device;

        @Option(
                names = "--ort-threads",
                paramLabel = "THREADS",
                description =
                        "ONNX Runtime threads per call, for the encoder and the bare product"
                                + " alike; 0 lets it choose (default: ${DEFAULT-VALUE}).")
        int ortThreads = 0;

        @Mixin dev.aenstream.cli.options.WeightsOption weights;

        @Option(
                names = "--skip-swap",
                description =
                        "Do not publish a second version while the first serves (by default it"
                                + " does, and reports the swap's time and peak memory).")
        boolean skipSwap;

        @Option(
                names = "--shards",
                paramLabel = "S",
                description =
                        "Then serve the newest version in S shards (aen encode --shard i/S), one"
                                + " after the other as S machines would: each shard's load time,"
                                + " peak memory and encode ratio against its slice's product, and"
                                + " the merged codes checked (default: ${DEFAULT-VALUE}, none).")
        int shards = 1;

        @Option(
                names = "--summary-json",
                paramLabel = "PATH",
                description =
                        "Write the figures as JSON: n, d_sae, model_bytes, publish_s, load_s,"
                                + " peak_rss_bytes, encode_rows_per_s, matmul_rows_per_s,"
                                + " encode_ratio, ...")
        Path summaryJson;

        @Override
        public Integer call() throws Exception {
            if (n <= 0 || dSae <= 0 || rowsPerCall <= 0 || durationSeconds <= 0 || ortThreads < 0)
                throw new IllegalArgumentException(
                        "--n, --d-sae, --rows-per-call and --duration must be positive,"
                                + " --ort-threads >= 0");
            if (shards < 1 || shards > dSae)
                throw new IllegalArgumentException(
                        "--shards must be between 1 and --d-sae, got " + shards);
            dev.aenstream.bench.ScaleBench.Result r;
            try (KafkaTarget target = KafkaTarget.open(kafka)) {
                r =
                        dev.aenstream.bench.ScaleBench.run(
                                target.connection(),
                                target.topics(),
                                "bench-scale-" + System.currentTimeMillis(),
                                new dev.aenstream.bench.SyntheticSae(n, dSae, 42),
                                new dev.aenstream.bench.ScaleBench.Config(
                                        kMax.kMax(),
                                        rowsPerCall,
                                        durationSeconds,
                                        device.device(),
                                        ortThreads,
                                        7,
                                        !skipSwap,
                                        weights.weights(),
                                        shards),
                                System.out);
            }
            if (r.swapS() > 0)
                System.out.printf(
                        "swap: version 2 served %.1f s after its publication began; peak RSS %.2f"
                                + " GiB with both versions loaded%n",
                        r.swapS(), r.swapPeakRssBytes() / GIB);
            System.out.printf(
                    "scale n=%d D=%d: version %,d bytes (W_enc %,d); publish %.1f s, load %.1f s;"
                            + " peak RSS %.2f GiB (before %.2f GiB, publishing %.2f GiB, loading"
                            + " %.2f GiB); encode %,.0f rows/s, bare matrix product %,.0f rows/s,"
                            + " ratio %.3f%n",
                    r.n(),
                    r.dSae(),
                    r.modelBytes(),
                    r.largestTensorBytes(),
                    r.publishS(),
                    r.loadS(),
                    r.peakRssBytes() / GIB,
                    r.baselineRssBytes() / GIB,
                    r.publishPeakRssBytes() / GIB,
                    r.loadPeakRssBytes() / GIB,
                    r.encodeRowsPerS(),
                    r.matmulRowsPerS(),
                    r.encodeRatio());
            Map<String, Object> summary = new LinkedHashMap<>(r.summary());
            summary.put("cores", Runtime.getRuntime().availableProcessors());
            SummaryJson.write(summaryJson, summary);
            return 0;
        }

        private static final double GIB = 1L << 30;
    }

    @Command(
            name = "train",
            mixinStandardHelpOptions = true,
            description = {
                "Time training steps (tokens/s) and, on the same shapes and threads, ONNX Runtime"
                    + " running only the step's five matrix products (two forward, three backward);"
                    + " ratio = train / matmul-only."
            })
    static final class Train implements Callable<Integer> {
        @Mixin HyperparameterOptions hyper;

        @Option(
                names = "--n",
                paramLabel = "N",
                description = "Row width (default: ${DEFAULT-VALUE}).")
        int n = 512;

        @Option(
                names = "--steps",
                paramLabel = "N",
                description = "Timed steps of each kind (default: ${DEFAULT-VALUE}).")
        int steps = 6;

        @Option(
                names = "--warmup-steps",
                paramLabel = "N",
                description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
        int warmupSteps = 2;

        @Mixin OrtThreadsOption ortThreads;

        @Mixin DeviceOption device;

        @Option(
                names = "--summary-json",
                paramLabel = "PATH",
                description = "Write the figures as JSON to this file.")
        Path summaryJson;

        @Override
        public Integer call() throws Exception {
            if (steps <= 0 || warmupSteps < 0)
                throw new IllegalArgumentException("--steps must be positive, --warmup-steps >= 0");
            TrainConfig config = hyper.languageModel(n);
            int batch = config.get(TrainConfig.BATCH);
            int d = config.d();
            Device dev = device.device();
            System.out.printf(
                    "bench train: %s n=%d D=%d batch=%d, %d timed steps after %d warm-up, %d"
                            + " cores%n",
                    config.penalty().label(),
                    n,
                    d,
                    batch,
                    steps,
                    warmupSteps,
                    Runtime.getRuntime().availableProcessors());

            double train;
            String ranOn;
            try (Trainer trainer = Trainer.start("bench", config, dev, ortThreads.ortThreads())) {
                ranOn = trainer.trainStep().device().label();
                train = TrainingRate.measure(trainer, n, d, batch, warmupSteps, steps, 0);
            }
            double matmul =
                    MatmulOnlyGraph.trainStepRate(
                            batch, n, d, dev, ortThreads.ortThreads(), 0, warmupSteps, steps);
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("train_tokens_per_s", train);
            summary.put("matmul_only_tokens_per_s", matmul);
            summary.put("ratio", train / matmul);
            summary.put("n", n);
            summary.put("d_sae", d);
            summary.put("batch", batch);
            summary.put("arch", config.penalty().label());
            summary.put("steps", steps);
            summary.put("device", ranOn);
            summary.put("cores", Runtime.getRuntime().availableProcessors());
            summary.put("matmul_gflops", 5.0 * 2 * (double) n * d * matmul / 1e9);
            System.out.printf(
                    "train %,.0f tokens/s, matmul-only %,.0f tokens/s (%.1f GFLOP/s), ratio %.3f%n",
                    train, matmul, summary.get("matmul_gflops"), train / matmul);
            SummaryJson.write(summaryJson, summary);
            return 0;
        }
    }

    @Command(
            name = "stats",
            mixinStandardHelpOptions = true,
            description = {
                "Encode the same pre-produced synthetic stream through Kafka twice, with"
                    + " per-feature statistics and the starvation monitor off and on, and report"
                    + " rows/s of each and their ratio."
            })
    static final class Stats implements Callable<Integer> {
        @Mixin KafkaOptions kafka;

        @Option(
                names = "--shape",
                paramLabel = "N:D",
                description = "Row width n and dictionary size D (default: ${DEFAULT-VALUE}).")
        String shape = "512:4096";

        @Mixin KMaxOption kMax;

        @Option(
                names = "--rows",
                paramLabel = "ROWS",
                description = "Rows to encode per run (default: ${DEFAULT-VALUE}).")
        int rows = 100000;

        @Option(
                names = "--rows-per-record",
                paramLabel = "ROWS",
                description = "Rows per record (default: ${DEFAULT-VALUE}).")
        int rowsPerRecord = dev.aenstream.produce.PublisherConfig.DEFAULT_ROWS_PER_RECORD;

        @Option(
                names = "--fve-row-stride",
                paramLabel = "K",
                description =
                        "The statistics estimate the fve on every K-th row (default:"
                                + " ${DEFAULT-VALUE}).")
        int fveRowStride = dev.aenstream.monitor.MonitorConfig.DEFAULT_FVE_ROW_STRIDE;

        @Option(
                names = "--repeats",
                paramLabel = "N",
                description =
                        "Runs of each kind, alternating; the best counts (default:"
                                + " ${DEFAULT-VALUE}).")
        int repeats = 2;

        @Option(
                names = "--summary-json",
                paramLabel = "PATH",
                description = "Write the figures as JSON to this file.")
        Path summaryJson;

        @Override
        public Integer call() throws Exception {
            PipelineBench.Shape parsed = PipelineBench.Shape.parse(shape);
            int n = parsed.n();
            int dSae = parsed.d();
            String run = Long.toString(System.currentTimeMillis());
            kafka.topicPrefix = "bench-" + run + ".";
            dev.aenstream.sae.SaeParameters params =
                    dev.aenstream.sae.SaeParameters.initialise(n, dSae, 1);
            try (KafkaTarget target = KafkaTarget.open(kafka);
                    dev.aenstream.sae.runtime.SaeEncoder encoder =
                            dev.aenstream.sae.runtime.SaeEncoder.open(
                                    params,
                                    new dev.aenstream.sae.onnx.EncoderSpec(kMax.kMax(), false),
                                    Device.CPU,
                                    0)) {
                try (dev.aenstream.produce.ActivationPublisher publisher =
                        new dev.aenstream.produce.ActivationPublisher(
                                target.connection(),
                                dev.aenstream.produce.PublisherConfig.of(
                                                target.topics().activations(),
                                                "synthetic",
                                                "bench",
                                                "bench-" + run)
                                        .withRowsPerRecord(rowsPerRecord))) {
                    new SyntheticFeed(new SpikedGenerator(PipelineBench.data(parsed)), publisher, 0)
                            .run(rows, () -> false);
                }
                dev.aenstream.encode.SaeRegistry registry = new dev.aenstream.encode.SaeRegistry();
                // With its decoder, as models from the trainer come: the statistics then include
                // the fve.
                registry.put(
                        new dev.aenstream.encode.ServingSae(
                                "bench",
                                1,
                                encoder,
                                "initialised for the benchmark",
                                dev.aenstream.sae.SaeDecoder.of(params),
                                false));
                double off = 0;
                double on = 0;
                for (int i = 0; i < repeats; i++) {
                    off = Math.max(off, encodeAll(target, registry, null, "off-" + run + "-" + i));
                    on =
                            Math.max(
                                    on,
                                    encodeAll(target, registry, monitor(), "on-" + run + "-" + i));
                    System.out.printf(
                            "run %d: statistics off %,.0f rows/s, on %,.0f rows/s%n",
                            i + 1, off, on);
                }
                Map<String, Object> summary = new LinkedHashMap<>();
                summary.put("rows_per_s_stats_off", off);
                summary.put("rows_per_s_stats_on", on);
                summary.put("ratio", on / off);
                summary.put("n", n);
                summary.put("d_sae", dSae);
                summary.put("k_max", kMax.kMax());
                summary.put("rows", rows);
                summary.put("fve_row_stride", fveRowStride);
                summary.put("cores", Runtime.getRuntime().availableProcessors());
                System.out.printf(
                        "encode with statistics at %.3f of the throughput without them (%,.0f vs"
                                + " %,.0f rows/s)%n",
                        on / off, on, off);
                SummaryJson.write(summaryJson, summary);
            }
            return 0;
        }

        private dev.aenstream.monitor.MonitorConfig monitor() {
            return dev.aenstream.monitor.MonitorConfig.builder().fveRowStride(fveRowStride).build();
        }

        /**
         * Encodes the whole topic with a fresh application id; rows/s from the first row encoded to
         * the last.
         */
        private double encodeAll(
                KafkaTarget target,
                dev.aenstream.encode.SaeRegistry registry,
                dev.aenstream.monitor.MonitorConfig monitor,
                String id)
                throws Exception {
            dev.aenstream.encode.EncodeConfig config =
                    dev.aenstream.encode.EncodeConfig.defaults(
                                    target.topics(),
                                    java.nio.file.Files.createTempDirectory("aen-bench-"))
                            .withApplicationId("aen-bench-" + id)
                            .withMonitor(monitor);
            try (dev.aenstream.encode.EncodeApp app =
                    new dev.aenstream.encode.EncodeApp(target.connection(), config, registry)) {
                app.start();
                long first = 0;
                long firstRows = 0;
                long deadline = System.currentTimeMillis() + 600_000;
                while (app.stats().rows() < rows && System.currentTimeMillis() < deadline) {
                    long seen = app.stats().rows();
                    if (first == 0 && seen > 0) {
                        first = System.nanoTime();
                        firstRows = seen;
                    }
                    Thread.sleep(5);
                }
                return (app.stats().rows() - firstRows) / ((System.nanoTime() - first) / 1e9);
            }
        }
    }
}
