package dev.aenstream.cli;

import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.cli.options.DashboardOptions;
import dev.aenstream.cli.options.MetricsOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs a real single-node KRaft broker in this process until interrupted. */
@Command(
        name = "broker",
        mixinStandardHelpOptions = true,
        description = {
            "Run a single-node Kafka broker (KRaft: broker and controller in one process) until"
                    + " Ctrl-C. Prints the bootstrap servers to pass to other commands with"
                    + " --bootstrap-servers."
        })
final class BrokerCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin MetricsOptions metrics;
    @picocli.CommandLine.Mixin DashboardOptions dashboard;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            description = "Client port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port = 9092;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description =
                    "Where the broker keeps its logs; formatted on first use, reused afterwards"
                            + " (default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of("data/kafka");

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535)
            throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        CountDownLatch stopped = new CountDownLatch(1);
        try (AutoCloseable endpoint = metrics.start();
                EmbeddedBroker broker = EmbeddedBroker.start(port, dataDir);
                AutoCloseable web =
                        dashboard.start(
                                broker.bootstrapServers(),
                                new dev.aenstream.avro.Topics(
                                        dev.aenstream.avro.Topics.DEFAULT_PREFIX))) {
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(stopped::countDown, "aen-broker-shutdown"));
            System.out.println("bootstrap.servers=" + broker.bootstrapServers());
            System.out.println("data in " + broker.dataDir() + "; Ctrl-C stops the broker");
            System.out.flush();
            stopped.await();
        }
        return 0;
    }
}
