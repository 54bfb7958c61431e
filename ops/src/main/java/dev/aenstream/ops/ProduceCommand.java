package dev.aenstream.ops;

import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.SpikedConfig;
import dev.aenstream.produce.SpikedGenerator;
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
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Publish activations to the activations topic.",
        subcommands = {ProduceCommand.Synthetic.class})
final class ProduceCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "synthetic", mixinStandardHelpOptions = true,
            description = {"Publish the spec's synthetic spiked data: rows that are sums of k true atoms with magnitudes in [1, 3]. Prints progress every few seconds."})
    static final class Synthetic implements Callable<Integer> {
        @Mixin KafkaOptions kafka;
        @Mixin SyntheticOptions synthetic;
        @Mixin PublishOptions publish;
        @Mixin MetricsOptions metrics;

        @Option(names = "--rows", paramLabel = "ROWS", defaultValue = "100000", description = "Rows to publish; 0 runs until Ctrl-C (default: ${DEFAULT-VALUE}).")
        long rows;

        @Override
        public Integer call() throws Exception {
            if (rows < 0) throw new IllegalArgumentException("--rows must be >= 0, got " + rows);
            SpikedConfig config = synthetic.config();
            AtomicBoolean stop = new AtomicBoolean();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop.set(true)));
            try (AutoCloseable endpoint = metrics.start();
                 KafkaTarget target = KafkaTarget.open(kafka);
                 ActivationPublisher publisher = new ActivationPublisher(target.bootstrapServers(),
                         publish.config(target.topics().activations(), "synthetic-spiked", "rho=" + config.rho()))) {
                ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(Daemon.threads("aen-progress"));
                long start = System.nanoTime();
                progress.scheduleAtFixedRate(() -> System.out.printf("produced %,d rows (%,.0f rows/s)%n", publisher.rowsPublished(),
                        publisher.rowsPublished() / ((System.nanoTime() - start) / 1e9)), 2, 2, TimeUnit.SECONDS);
                io.micrometer.core.instrument.Metrics.gauge("aen.produce.rows", publisher, p -> p.rowsPublished());
                long published = new SyntheticFeed(new SpikedGenerator(config), publisher, publish.rate).run(rows, stop::get);
                progress.shutdownNow();
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("published %,d rows of n=%d to %s in %.1f s (%,.0f rows/s), producer id %s%n", published, config.n(),
                        target.topics().activations(), seconds, published / seconds, publisher.config().producerId());
            }
            return 0;
        }
    }
}
