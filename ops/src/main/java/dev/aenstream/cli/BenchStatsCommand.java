package dev.aenstream.cli;

import dev.aenstream.bench.PipelineBench;
import dev.aenstream.cli.options.KMaxOption;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.cli.options.MonitorOptions;
import dev.aenstream.cli.options.RowsPerRecordOption;
import dev.aenstream.encode.EncodeStats;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.node.EncoderNode;
import dev.aenstream.node.TemporaryState;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.produce.synthetic.SyntheticFeed;
import dev.aenstream.sae.runtime.Device;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `aen bench stats`. */
@Command(
        name = "stats",
        mixinStandardHelpOptions = true,
        description = {
            "Encode the same pre-produced synthetic stream through Kafka twice, with"
                    + " per-feature statistics and the starvation monitor off and on, and report"
                    + " rows/s of each and their ratio."
        })
final class BenchStatsCommand implements Callable<Integer> {
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

    @Mixin RowsPerRecordOption recordRows;

    /** The statistics' settings of the run with them on (--fve-row-stride, windows, ...). */
    @Mixin MonitorOptions monitor;

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
        MonitorConfig statistics = monitor();
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
                                    .with(
                                            PublisherConfig.ROWS_PER_RECORD,
                                            recordRows.rowsPerRecord()))) {
                new SyntheticFeed(new SpikedGenerator(PipelineBench.data(parsed)), publisher, 0)
                        .run(rows, () -> false);
            }
            // With its decoder, as models from the trainer come: the statistics then include
            // the fve.
            ServingSae serving =
                    new ServingSae(
                            "bench",
                            1,
                            encoder,
                            "initialised for the benchmark",
                            dev.aenstream.sae.SaeDecoder.of(params),
                            false);
            double off = 0;
            double on = 0;
            for (int i = 0; i < repeats; i++) {
                off = Math.max(off, encodeAll(target, serving, null, "off-" + run + "-" + i));
                on = Math.max(on, encodeAll(target, serving, statistics, "on-" + run + "-" + i));
                System.out.printf(
                        "run %d: statistics off %,.0f rows/s, on %,.0f rows/s%n", i + 1, off, on);
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("rows_per_s_stats_off", off);
            summary.put("rows_per_s_stats_on", on);
            summary.put("ratio", on / off);
            summary.put("n", n);
            summary.put("d_sae", dSae);
            summary.put("k_max", kMax.kMax());
            summary.put("rows", rows);
            summary.put("fve_row_stride", statistics.get(MonitorConfig.FVE_ROW_STRIDE));
            summary.put("cores", Runtime.getRuntime().availableProcessors());
            System.out.printf(
                    "encode with statistics at %.3f of the throughput without them (%,.0f vs"
                            + " %,.0f rows/s)%n",
                    on / off, on, off);
            SummaryJson.write(summaryJson, summary);
        }
        return 0;
    }

    private MonitorConfig monitor() {
        if (monitor.statsOff())
            throw new IllegalArgumentException(
                    "aen bench stats runs without and with statistics; --no-stats does not apply");
        return monitor.settings();
    }

    /**
     * Encodes the whole topic with a fresh application id; rows/s from the first row encoded to the
     * last.
     */
    private double encodeAll(
            KafkaTarget target,
            ServingSae serving,
            dev.aenstream.monitor.MonitorConfig monitor,
            String id)
            throws Exception {
        try (TemporaryState state = TemporaryState.create("aen-bench-");
                EncoderNode node =
                        EncoderNode.serving(
                                        target.connection(),
                                        dev.aenstream.encode.EncodeConfig.defaults(
                                                        target.topics(), state.dir())
                                                .withApplicationId("aen-bench-" + id)
                                                .withMonitor(monitor),
                                        serving)
                                .startEncoding()) {
            EncodeStats stats = node.stats();
            long first = 0;
            long firstRows = 0;
            long deadline = System.currentTimeMillis() + 600_000;
            while (stats.rows() < rows && System.currentTimeMillis() < deadline) {
                long seen = stats.rows();
                if (first == 0 && seen > 0) {
                    first = System.nanoTime();
                    firstRows = seen;
                }
                Thread.sleep(5);
            }
            return (stats.rows() - firstRows) / ((System.nanoTime() - first) / 1e9);
        }
    }
}
