package dev.aenstream.ops;

import dev.aenstream.encode.EncodeApp;
import dev.aenstream.encode.EncodeStats;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Runs the encode application: activations in, sparse codes out. */
@Command(name = "encode", mixinStandardHelpOptions = true,
        description = {"Run the Kafka Streams encoder: read the activations topic, encode each record's rows with the SAE in one ONNX Runtime call, write sparse codes naming the SAE id and version, send unprocessable records to the dead-letter topic with the reason. Start several with the same --application-id to share the partitions."})
final class EncodeCommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka;
    @Mixin SaeOptions sae;
    @Mixin EncodeOptions encode;

    @Option(names = "--n", paramLabel = "N", defaultValue = "256", description = "Row width the SAE expects when it is freshly initialised (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "0", description = "Seconds to run; 0 runs until Ctrl-C (default: ${DEFAULT-VALUE}).")
    long durationSeconds;

    @Override
    public Integer call() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
        try (KafkaTarget target = KafkaTarget.open(kafka)) {
            ServingSae serving = sae.open(n);
            SaeRegistry registry = new SaeRegistry();
            registry.put(serving);
            System.out.printf("serving SAE %s v%d (n=%d, D=%d, k_max=%d) on %s: %s%n", serving.saeId(), serving.version(),
                    serving.encoder().n(), serving.encoder().d(), serving.encoder().kMax(), serving.encoder().device().label(), serving.origin());
            try (EncodeApp app = new EncodeApp(target.bootstrapServers(), encode.config(target.topics()), registry)) {
                app.start();
                long start = System.nanoTime();
                long lastRows = 0;
                long deadline = durationSeconds > 0 ? start + TimeUnit.SECONDS.toNanos(durationSeconds) : Long.MAX_VALUE;
                while (!stop.await(5, TimeUnit.SECONDS) && System.nanoTime() < deadline) {
                    EncodeStats s = app.stats();
                    System.out.printf("%s: %,d records, %,d rows (%,.0f rows/s), mean l0 %.1f, %d dead letters%n", app.state(), s.records(),
                            s.rows(), (s.rows() - lastRows) / 5.0, s.meanL0(), s.deadLetters());
                    lastRows = s.rows();
                }
                System.out.printf("stopping after %s%n", Duration.ofNanos(System.nanoTime() - start).withNanos(0));
            } finally {
                serving.encoder().close();
            }
        }
        return 0;
    }
}
