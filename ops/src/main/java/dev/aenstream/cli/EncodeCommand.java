package dev.aenstream.cli;

import dev.aenstream.cli.options.BindingOptions;
import dev.aenstream.cli.options.DashboardOptions;
import dev.aenstream.cli.options.EncodeOptions;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.cli.options.MetricsOptions;
import dev.aenstream.cli.options.ModelTrustOptions;
import dev.aenstream.cli.options.MonitorOptions;
import dev.aenstream.cli.options.SaeOptions;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.EncodeStats;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.node.EncoderNode;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Runs the encode application: activations in, sparse codes out. */
@Command(
        name = "encode",
        mixinStandardHelpOptions = true,
        description = {
            "Run the Kafka Streams encoder: read the activations topic, encode each record's rows"
                + " with the SAE in one ONNX Runtime call, write sparse codes naming the SAE id and"
                + " version, send unprocessable records to the dead-letter topic with the reason."
                + " Start several with the same --application-id to share the partitions."
        })
final class EncodeCommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka;
    @Mixin SaeOptions sae;
    @Mixin BindingOptions binding;
    @Mixin EncodeOptions encode;
    @Mixin MetricsOptions metrics;
    @Mixin DashboardOptions dashboard;
    @Mixin MonitorOptions monitor;
    @Mixin ModelTrustOptions trust;

    @Option(
            names = "--n",
            paramLabel = "N",
            description =
                    "Width of the stream's rows; model versions of another width are refused"
                            + " (default: ${DEFAULT-VALUE}).")
    int n = 256;

    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            description = "Seconds to run; 0 runs until Ctrl-C (default: ${DEFAULT-VALUE}).")
    long durationSeconds = 0;

    @Option(
            names = "--wait-for-saes",
            paramLabel = "COUNT",
            description =
                    "Start encoding once this many SAEs are served from the models topic, so"
                            + " that no batch is encoded by only some of them (default: every SAE"
                            + " the topic holds when the encoder starts, at least one).")
    Integer waitForSaes;

    @Override
    public Integer call() throws Exception {
        if (waitForSaes != null && waitForSaes < 1)
            throw new IllegalArgumentException(
                    "--wait-for-saes " + waitForSaes + ": must be at least 1");
        // Checked before anything connects: an encoder with no way to trust a version never starts.
        var policy = sae.fixed() ? null : trust.trust();
        if (!sae.fixed() && !binding.binding().isAny())
            throw new IllegalArgumentException(
                    "--source-model and --hook-point bind an SAE given by --sae-file or"
                            + " --untrained; versions from the models topic carry the binding"
                            + " their trainer gave them");
        CountDownLatch stop = new CountDownLatch(1);
        StopSignals.onStop(stop::countDown);
        try (AutoCloseable endpoint = metrics.start(dashboard);
                KafkaTarget target = KafkaTarget.open(kafka);
                AutoCloseable web = dashboard.start(target.connection(), target.topics())) {
            EncodeConfig config =
                    encode.config(target.topics(), kafka.replicationFactor)
                            .withMonitor(monitor.config());
            ServingSae fixed =
                    sae.fixed() ? sae.open(n, encode.shard()).withSource(binding.binding()) : null;
            try (EncoderNode node =
                    fixed != null
                            ? EncoderNode.serving(target.connection(), config, fixed)
                            : EncoderNode.following(
                                    target.connection(),
                                    config,
                                    new EncoderNode.Following(
                                            n,
                                            policy,
                                            sae.device(),
                                            sae.ortThreads(),
                                            encode.shard()))) {
                if (fixed != null) {
                    System.out.printf(
                            "serving SAE %s v%d%s (n=%d, D=%d, k_max=%d) on %s: %s%n",
                            fixed.saeId(),
                            fixed.version(),
                            fixed.shard().describe(fixed.d()),
                            fixed.encoder().n(),
                            fixed.d(),
                            fixed.encoder().kMax(),
                            fixed.encoder().device().label(),
                            fixed.origin());
                } else {
                    System.out.printf(
                            "following %s for SAE versions of n=%d%s (start `aen train` to publish"
                                    + " some)%n",
                            target.topics().models(),
                            n,
                            encode.shard().count() == 1
                                    ? ""
                                    : ", serving shard " + encode.shard().label() + " of each");
                    while (!(waitForSaes == null
                            ? node.awaitEverySae(Duration.ofSeconds(10))
                            : node.awaitServing(waitForSaes, Duration.ofSeconds(10)))) {
                        if (stop.getCount() == 0) return 0;
                        System.out.println(
                                "still waiting for "
                                        + (waitForSaes == null
                                                ? "every SAE"
                                                : waitForSaes + " SAEs")
                                        + " on "
                                        + target.topics().models()
                                        + "; serving "
                                        + node.serving().stream()
                                                .map(x -> x.saeId() + " v" + x.version())
                                                .toList());
                    }
                }
                try {
                    node.startEncoding().withMetrics();
                    long start = System.nanoTime();
                    long lastRows = 0;
                    long deadline =
                            durationSeconds > 0
                                    ? start + TimeUnit.SECONDS.toNanos(durationSeconds)
                                    : Long.MAX_VALUE;
                    while (!stop.await(5, TimeUnit.SECONDS) && System.nanoTime() < deadline) {
                        EncodeStats s = node.stats();
                        System.out.printf(
                                "%s: %,d records, %,d rows (%,.0f rows/s), mean l0 %.1f, %d dead"
                                        + " letters, %d passed over by an SAE bound to another"
                                        + " source; serving %s%n",
                                node.app().state(),
                                s.records(),
                                s.rows(),
                                (s.rows() - lastRows) / 5.0,
                                s.meanL0(),
                                s.deadLetters(),
                                s.mismatched(),
                                node.serving().stream()
                                        .map(x -> x.saeId() + " v" + x.version())
                                        .toList());
                        lastRows = s.rows();
                    }
                    System.out.printf(
                            "stopping after %s%n",
                            Duration.ofNanos(System.nanoTime() - start).withNanos(0));
                } finally {
                    if (fixed != null) fixed.encoder().close();
                }
            }
        }
        return 0;
    }
}
