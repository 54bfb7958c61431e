package dev.aenstream.cli;

import dev.aenstream.bench.Daemon;
import dev.aenstream.cli.options.CompressionOption;
import dev.aenstream.cli.options.DashboardOptions;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.cli.options.MetricsOptions;
import dev.aenstream.cli.options.PublishOptions;
import dev.aenstream.cli.options.RowsPerRecordOption;
import dev.aenstream.cli.options.SyntheticOptions;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.Pace;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.produce.synthetic.SyntheticFeed;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Puts activations on the activations topic. */
@Command(
        name = "produce",
        mixinStandardHelpOptions = true,
        description = "Publish activations to the activations topic.",
        subcommands = {
            ProduceCommand.Synthetic.class,
            ProduceCommand.Replay.class,
            TransformerCommand.class
        })
final class ProduceCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(
            name = "synthetic",
            mixinStandardHelpOptions = true,
            description = {
                "Publish docs/aen-sae.md's synthetic spiked data: rows that are sums of k true"
                        + " atoms with magnitudes in [1, 3]. Prints progress every few seconds."
            })
    static final class Synthetic implements Callable<Integer> {
        @Mixin KafkaOptions kafka;
        @Mixin SyntheticOptions synthetic;
        @Mixin PublishOptions publish;
        @Mixin MetricsOptions metrics;
        @Mixin DashboardOptions dashboard;

        @Option(
                names = "--rows",
                paramLabel = "ROWS",
                description = "Rows to publish; 0 runs until Ctrl-C (default: ${DEFAULT-VALUE}).")
        long rows = 100000;

        @Override
        public Integer call() throws Exception {
            if (rows < 0) throw new IllegalArgumentException("--rows must be >= 0, got " + rows);
            SpikedConfig config = synthetic.config();
            AtomicBoolean stop = new AtomicBoolean();
            StopSignals.onStop(() -> stop.set(true));
            try (AutoCloseable endpoint = metrics.start(dashboard);
                    KafkaTarget target = KafkaTarget.open(kafka);
                    AutoCloseable web = dashboard.start(target.connection(), target.topics());
                    ActivationPublisher publisher =
                            new ActivationPublisher(
                                    target.connection(),
                                    publish.config(
                                            target.topics().activations(),
                                            "synthetic-spiked",
                                            "rho=" + config.get(SpikedConfig.RHO)))) {
                ScheduledExecutorService progress =
                        Executors.newSingleThreadScheduledExecutor(Daemon.threads("aen-progress"));
                long start = System.nanoTime();
                progress.scheduleAtFixedRate(
                        () ->
                                System.out.printf(
                                        "produced %,d rows (%,.0f rows/s)%n",
                                        publisher.rowsPublished(),
                                        publisher.rowsPublished()
                                                / ((System.nanoTime() - start) / 1e9)),
                        2,
                        2,
                        TimeUnit.SECONDS);
                io.micrometer.core.instrument.Metrics.gauge(
                        "aen.produce.rows", publisher, p -> p.rowsPublished());
                long published =
                        new SyntheticFeed(new SpikedGenerator(config), publisher, publish.rate)
                                .run(rows, stop::get);
                progress.shutdownNow();
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(
                        "published %,d rows of n=%d to %s in %.1f s (%,.0f rows/s), producer id"
                                + " %s%n",
                        published,
                        config.get(SpikedConfig.N),
                        target.topics().activations(),
                        seconds,
                        published / seconds,
                        publisher.producerId());
            }
            return 0;
        }
    }

    @Command(
            name = "replay",
            mixinStandardHelpOptions = true,
            description = {
                "Publish stored activations: a NumPy .npy array (float32 or float16) or a tensor of"
                    + " a .safetensors file (F32, F16, BF16), rows of its last dimension, as they"
                    + " are (the topic gets the file's bytes)."
            })
    static final class Replay implements Callable<Integer> {
        @Mixin KafkaOptions kafka;
        @Mixin MetricsOptions metrics;
        @Mixin DashboardOptions dashboard;
        @Mixin RowsPerRecordOption recordRows;
        @Mixin CompressionOption compression;

        @Option(
                names = "--file",
                paramLabel = "PATH",
                required = true,
                description = "The .npy or .safetensors file.")
        java.nio.file.Path file;

        @Option(
                names = "--tensor",
                paramLabel = "NAME",
                description = "The safetensors tensor to replay (default: the only one).")
        String tensor;

        @Option(
                names = "--rate",
                paramLabel = "ROWS_PER_S",
                description =
                        "Rows per second; 0 as fast as Kafka takes them (default:"
                                + " ${DEFAULT-VALUE}).")
        double rate = 0;

        @Option(
                names = "--loop",
                paramLabel = "TIMES",
                description =
                        "Passes over the file; 0 loops until Ctrl-C (default: ${DEFAULT-VALUE}).")
        long loops = 1;

        @Option(
                names = "--source-model",
                paramLabel = "NAME",
                description = "Model name written into the records (default: the file name).")
        String sourceModel;

        @Option(
                names = "--hook-point",
                paramLabel = "NAME",
                description =
                        "Hook point written into the records (default: the tensor name or"
                                + " 'replay').")
        String hookPoint;

        @Option(
                names = "--producer-id",
                paramLabel = "ID",
                description = "Id written into every record (default: replay-<time>).")
        String producerId;

        @Override
        public Integer call() throws Exception {
            int rowsPerRecord = recordRows.rowsPerRecord();
            if (loops < 0) throw new IllegalArgumentException("--loop must be >= 0, got " + loops);
            dev.aenstream.produce.replay.ActivationFile acts =
                    dev.aenstream.produce.replay.ActivationFile.open(file, tensor);
            System.out.printf(
                    "%s: %,d rows of n=%d, %s%n", file, acts.rows(), acts.n(), acts.dtype());
            AtomicBoolean stop = new AtomicBoolean();
            StopSignals.onStop(() -> stop.set(true));
            String id = producerId != null ? producerId : "replay-" + System.currentTimeMillis();
            try (AutoCloseable endpoint = metrics.start(dashboard);
                    KafkaTarget target = KafkaTarget.open(kafka);
                    AutoCloseable web = dashboard.start(target.connection(), target.topics());
                    ActivationPublisher publisher =
                            new ActivationPublisher(
                                    target.connection(),
                                    compression.apply(
                                            dev.aenstream.produce.PublisherConfig.of(
                                                            target.topics().activations(),
                                                            sourceModel != null
                                                                    ? sourceModel
                                                                    : file.getFileName().toString(),
                                                            hookPoint != null
                                                                    ? hookPoint
                                                                    : tensor != null
                                                                            ? tensor
                                                                            : "replay",
                                                            id)
                                                    .with(
                                                            dev.aenstream.produce.PublisherConfig
                                                                    .ROWS_PER_RECORD,
                                                            recordRows.rowsPerRecord())
                                                    .with(
                                                            dev.aenstream.produce.PublisherConfig
                                                                    .DTYPE,
                                                            acts.dtype())))) {
                Pace pace = new Pace(rate);
                long published = 0;
                long start = System.nanoTime();
                long lastReport = start;
                for (long pass = 0; (loops == 0 || pass < loops) && !stop.get(); pass++) {
                    for (long from = 0; from < acts.rows() && !stop.get(); from += rowsPerRecord) {
                        int count = (int) Math.min(rowsPerRecord, acts.rows() - from);
                        publisher.publishRaw(acts.rows(from, count), count, acts.n(), acts.dtype());
                        published += count;
                        pace.await(published);
                        if (System.nanoTime() - lastReport > 2_000_000_000L) {
                            lastReport = System.nanoTime();
                            System.out.printf(
                                    "replayed %,d rows (%,.0f rows/s)%n",
                                    published, published / ((lastReport - start) / 1e9));
                        }
                    }
                }
                publisher.flush();
                System.out.printf(
                        "replayed %,d rows of n=%d (%s) to %s, producer id %s%n",
                        published, acts.n(), acts.dtype(), target.topics().activations(), id);
            }
            return 0;
        }
    }
}
