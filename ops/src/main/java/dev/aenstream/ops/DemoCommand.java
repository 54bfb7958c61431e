package dev.aenstream.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.aenstream.encode.EncodeApp;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.SpikedConfig;
import dev.aenstream.produce.SpikedGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A bounded end-to-end run: broker, synthetic producer, encoder, and a count of what came out. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the whole flow for a while and show it: an embedded broker (unless --bootstrap-servers), the synthetic spiked producer, the Kafka Streams encoder with ONNX Runtime, and a reader of the codes topic that counts the tokens encoded and their mean l0. Prints progress, then a summary (and --summary-json)."})
final class DemoCommand implements Callable<Integer> {
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(20);

    @Mixin KafkaOptions kafka;
    @Mixin SyntheticOptions synthetic;
    @Mixin SaeOptions sae;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "60", description = "Seconds to produce for (default: ${DEFAULT-VALUE}).")
    long durationSeconds;

    @Option(names = "--rate", paramLabel = "ROWS_PER_S", defaultValue = "20000", description = "Synthetic rows per second; 0 for as fast as possible (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--rows-per-record", paramLabel = "ROWS", defaultValue = "" + PublisherConfig.DEFAULT_ROWS_PER_RECORD,
            description = "Rows per activation record (default: ${DEFAULT-VALUE}).")
    int rowsPerRecord;

    @Option(names = "--summary-json", paramLabel = "PATH", description = "Also write the summary as JSON to this file.")
    Path summaryJson;

    @Override
    public Integer call() throws Exception {
        if (durationSeconds <= 0) throw new IllegalArgumentException("--duration must be positive, got " + durationSeconds);
        SpikedConfig spiked = synthetic.config();
        long started = System.nanoTime();
        try (KafkaTarget target = KafkaTarget.open(kafka)) {
            ServingSae serving = sae.open(spiked.n());
            SaeRegistry registry = new SaeRegistry();
            registry.put(serving);
            String runId = Long.toString(System.currentTimeMillis());
            System.out.printf("Kafka at %s%s; topics %s*%n", target.bootstrapServers(), target.embedded() ? " (embedded)" : "",
                    target.topics().prefix());
            System.out.printf("SAE %s v%d: n=%d, D=%d, k_max=%d, ONNX Runtime on %s, %s%n", serving.saeId(), serving.version(),
                    serving.encoder().n(), serving.encoder().d(), serving.encoder().kMax(), serving.encoder().device().label(), serving.origin());
            System.out.println("  (the SAE is not trained yet: online training comes with `aen train`; codes show the flow, not features)");

            PublisherConfig publisherConfig = PublisherConfig.of(target.topics().activations(), "synthetic-spiked",
                    "rho=" + spiked.rho(), "demo-" + runId).withRowsPerRecord(rowsPerRecord);
            ExecutorService producerThread = Executors.newSingleThreadExecutor(Daemon.threads("aen-demo-producer"));
            AtomicBoolean stop = new AtomicBoolean();
            try (EncodeApp app = new EncodeApp(target.bootstrapServers(),
                         EncodeConfig.defaults(target.topics(), Files.createTempDirectory("aen-streams-"))
                                 .withApplicationId("aen-demo-" + runId), registry);
                 CodesTally tally = new CodesTally(target.bootstrapServers(), target.topics(), publisherConfig.producerId());
                 ActivationPublisher publisher = new ActivationPublisher(target.bootstrapServers(), publisherConfig)) {
                app.start();
                Future<Long> produced = producerThread.submit(
                        () -> new SyntheticFeed(new SpikedGenerator(spiked), publisher, rate).run(0, stop::get));
                long begin = System.nanoTime();
                long end = begin + TimeUnit.SECONDS.toNanos(durationSeconds);
                System.out.printf("%8s %14s %14s %10s %12s%n", "seconds", "rows produced", "tokens encoded", "mean l0", "dead letters");
                while (System.nanoTime() < end) {
                    Thread.sleep(Math.min(5_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                    System.out.printf("%8.0f %,14d %,14d %10.1f %12d%n", (System.nanoTime() - begin) / 1e9, publisher.rowsPublished(),
                            tally.tokens(), tally.meanL0(), tally.deadLetters());
                }
                stop.set(true);
                long rowsProduced = produced.get(60, TimeUnit.SECONDS);
                long drainEnd = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
                while (tally.tokens() < rowsProduced && System.nanoTime() < drainEnd) Thread.sleep(100);
                writeSummary(target, serving, rowsProduced, tally, (System.nanoTime() - started) / 1e9);
            } finally {
                stop.set(true);
                producerThread.shutdownNow();
                serving.encoder().close();
            }
        }
        return 0;
    }

    private void writeSummary(KafkaTarget target, ServingSae serving, long rowsProduced, CodesTally tally, double seconds)
            throws java.io.IOException {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("tokens_encoded", tally.tokens());
        summary.put("mean_l0", tally.meanL0());
        summary.put("device", serving.encoder().device().label());
        summary.put("dead_letters", tally.deadLetters());
        List<Map<String, Object>> saes = new ArrayList<>();
        tally.saes().forEach((id, figures) -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("sae_id", id);
            s.put("version", figures.version());
            s.put("d_sae", figures.d());
            s.put("tokens", figures.tokens());
            s.put("l0", figures.meanL0());
            s.put("trained", false);
            s.put("origin", serving.origin());
            saes.add(s);
        });
        if (saes.isEmpty()) {
            saes.add(Map.of("sae_id", serving.saeId(), "version", serving.version(), "trained", false, "origin", serving.origin()));
        }
        summary.put("saes", saes);
        summary.put("rows_produced", rowsProduced);
        summary.put("seconds", Math.round(seconds * 10) / 10.0);
        summary.put("bootstrap_servers", target.bootstrapServers());
        summary.put("embedded_broker", target.embedded());
        summary.put("note", "codes come from a freshly initialised, untrained SAE; online training is not part of this build yet");

        System.out.println();
        System.out.printf("%-10s %8s %12s %8s  %s%n", "sae_id", "version", "tokens", "l0", "origin");
        tally.saes().forEach((id, f) -> System.out.printf("%-10s %8d %,12d %8.1f  %s%n", id, f.version(), f.tokens(), f.meanL0(), serving.origin()));
        System.out.printf("rows produced %,d, tokens encoded %,d, dead letters %d, device %s, %.0f s%n", rowsProduced, tally.tokens(),
                tally.deadLetters(), serving.encoder().device().label(), seconds);
        if (summaryJson != null) {
            Path parent = summaryJson.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(summaryJson.toFile(), summary);
            System.out.println("summary written to " + summaryJson);
        }
    }
}
