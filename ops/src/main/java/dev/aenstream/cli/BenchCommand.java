package dev.aenstream.cli;

import dev.aenstream.bench.PipelineBench;
import dev.aenstream.bench.PipelineFigures;
import dev.aenstream.cli.options.DeviceOption;
import dev.aenstream.cli.options.KMaxOption;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.cli.options.RowsPerRecordOption;
import dev.aenstream.sae.setting.Profile;
import dev.aenstream.sae.train.TrainConfig;
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
        subcommands = {BenchTrainCommand.class, BenchStatsCommand.class, BenchScaleCommand.class})
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

    @Mixin RowsPerRecordOption recordRows;

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
        if (durationSeconds <= 0
                || kMax.kMax() <= 0
                || recordRows.rowsPerRecord() <= 0
                || trainBatch <= 0) {
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
                            recordRows.rowsPerRecord(),
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
                    recordRows.rowsPerRecord(),
                    kMax.kMax());
            double warm =
                    warmupSeconds != null
                            ? warmupSeconds
                            : Math.max(MIN_WARMUP_SECONDS, WARMUP_SHARE * durationSeconds);
            if (warm > 0) bench.warmUp(list.get(0), warm);
            for (PipelineBench.Shape shape : list) {
                System.out.println(shape + ":");
                PipelineFigures f = bench.run(shape, (double) durationSeconds / list.size());
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
        summary.put("rows_per_record", recordRows.rowsPerRecord());
        summary.put("k_max", kMax.kMax());
        summary.put("cores", cores);
        summary.put("stream_threads", streamThreads != null ? streamThreads : cores);
        summary.put("ort_threads", ortThreads);
        summary.put("sae_l0", PipelineBench.L0);
        SummaryJson.write(summaryJson, summary);
        return 0;
    }
}
