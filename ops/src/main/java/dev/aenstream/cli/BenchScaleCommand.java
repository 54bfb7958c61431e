package dev.aenstream.cli;

import dev.aenstream.cli.options.DeviceOption;
import dev.aenstream.cli.options.KMaxOption;
import dev.aenstream.cli.options.KafkaOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `aen bench scale`. */
@Command(
        name = "scale",
        mixinStandardHelpOptions = true,
        description = {
            "One large SAE version through the whole path: a sparse-initialised synthetic SAE"
                    + " of n x D (Llama-3.1-8B's layer-16 SAE by default, 2 x 2 GiB of weights) is"
                    + " published to the models topic, followed, spooled to disk, checked and"
                    + " loaded by an encoder's model follower; a few rows' codes are checked"
                    + " against a direct computation; then encode throughput is timed against ONNX"
                    + " Runtime's bare matrix product of the same shape (encode_ratio). Then the"
                    + " encoder's Kafka Streams application, as aen encode runs it (exactly-once,"
                    + " statistics and contexts on), encodes rows for half the duration: its"
                    + " committed codes are checked, its settled rate is held against the same"
                    + " product (application_ratio), and its statistics must count every row."
                    + " Reports the time and peak resident memory to publish and to load. Needs"
                    + " free disk for"
                    + " the version twice (broker log and the follower's spool) and memory for it"
                    + " about three times."
        })
final class BenchScaleCommand implements Callable<Integer> {
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
    int rowsPerCall = dev.aenstream.produce.PublisherConfig.ROWS_PER_RECORD.defaultValue();

    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            description =
                    "Timing of the encoder and of the bare product together, and again of"
                            + " the encode application (default: ${DEFAULT-VALUE}).")
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
                            + " encode_ratio, application (rows_per_s, stats_tokens, ...),"
                            + " application_ratio, ...")
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
        dev.aenstream.bench.ScaleFigures r;
        try (KafkaTarget target = KafkaTarget.open(kafka)) {
            r =
                    dev.aenstream.bench.ScaleBench.run(
                            target.connection(),
                            target.topics(),
                            "bench-scale-" + System.currentTimeMillis(),
                            new dev.aenstream.bench.SyntheticSae(n, dSae, 42),
                            new dev.aenstream.bench.ScaleConfig(
                                    kMax.kMax(),
                                    rowsPerCall,
                                    durationSeconds,
                                    device.device(),
                                    ortThreads,
                                    7,
                                    !skipSwap,
                                    weights.weights(),
                                    shards,
                                    true),
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
                        + " ratio %.3f; through the application %,.0f rows/s, ratio %.3f%n",
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
                r.encodeRatio(),
                r.application().rowsPerS(),
                r.applicationRatio());
        Map<String, Object> summary = new LinkedHashMap<>(r.summary());
        summary.put("cores", Runtime.getRuntime().availableProcessors());
        SummaryJson.write(summaryJson, summary);
        return 0;
    }

    private static final double GIB = 1L << 30;
}
