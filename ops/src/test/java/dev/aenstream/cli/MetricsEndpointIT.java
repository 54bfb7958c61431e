package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.ModelHead;
import dev.aenstream.avro.SpliceFigures;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.avro.WatchCondition;
import dev.aenstream.avro.WatchRule;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.cli.options.MetricsOptions;
import dev.aenstream.encode.EncodeApp;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.testkit.Wait;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrapes the Prometheus endpoint of a running encoder and finds the named metrics, and every
 * metric ops/deploy's Grafana dashboard and alert rules use, once the encoder has encoded, drifted,
 * watched and heard a trainer and a splicing producer.
 */
class MetricsEndpointIT {
    @TempDir Path dir;

    @Test
    void theScrapeShowsEveryFigureTheDashboardAndTheAlertRulesUse() throws Exception {
        Topics topics = new Topics("metrics.");
        try (EmbeddedBroker broker = EmbeddedBroker.start(0, dir.resolve("kafka"));
                Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
                MetricsOptions.Endpoint endpoint = MetricsOptions.serve(0);
                SaeEncoder encoder =
                        SaeEncoder.open(
                                SaeParameters.initialise(32, 64, 1),
                                new EncoderSpec(16, false),
                                Device.CPU,
                                1)) {
            TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker());
            SaeRegistry registry = new SaeRegistry();
            SaeParameters params = SaeParameters.initialise(32, 64, 1);
            registry.put(
                    new ServingSae(
                            "metrics-sae", 1, encoder, "test", SaeDecoder.of(params), false));
            KafkaConnection kafka = KafkaConnection.of(broker.bootstrapServers());
            facts(kafka, topics);
            MonitorConfig monitor =
                    MonitorConfig.builder()
                            .set(MonitorConfig.DEAD_TOKENS, 10_000)
                            .set(MonitorConfig.RARE_DENSITY, 1e-3)
                            .set(MonitorConfig.REARM_FACTOR, 2)
                            .set(MonitorConfig.DENSITY_HORIZON_TOKENS, 10_000)
                            .set(MonitorConfig.MIN_TOKENS, 0)
                            .set(MonitorConfig.HYSTERESIS_TOKENS, 0)
                            .set(MonitorConfig.DEAD_FRACTION_PCT, 50)
                            .set(MonitorConfig.SATURATION, 0.5)
                            .set(MonitorConfig.WINDOW_MS, 300)
                            .set(MonitorConfig.GRACE_MS, 60_000)
                            .set(MonitorConfig.FVE_ROW_STRIDE, 1)
                            .set(MonitorConfig.DRIFT_REFERENCE_TOKENS, 1_000L)
                            .set(MonitorConfig.DRIFT_BLOCK_TOKENS, 1_000L)
                            .build();
            EncodeConfig config =
                    EncodeConfig.defaults(topics, dir.resolve("state"))
                            .withApplicationId("metrics-encode")
                            .withMonitor(monitor);
            try (EncodeApp app =
                            new EncodeApp(
                                    KafkaConnection.of(broker.bootstrapServers()),
                                    config,
                                    registry);
                    ActivationPublisher publisher =
                            new ActivationPublisher(
                                    KafkaConnection.of(broker.bootstrapServers()),
                                    PublisherConfig.of(
                                                    topics.activations(),
                                                    "synthetic",
                                                    "m",
                                                    "metrics-producer")
                                            .with(PublisherConfig.ROWS_PER_RECORD, 64))) {
                app.bindMetrics();
                app.start();
                SpikedGenerator generator =
                        new SpikedGenerator(
                                SpikedConfig.builder()
                                        .set(SpikedConfig.N, 32)
                                        .set(SpikedConfig.ATOMS, 64)
                                        .set(SpikedConfig.K, 4)
                                        .set(SpikedConfig.SEED, 1)
                                        .build());
                float[] x = new float[64 * 32];
                String[] scraped = {""};
                java.util.Set<String> used = OperatorMetrics.used(Path.of("deploy"));
                assertThat(
                                Wait.until(
                                        Duration.ofSeconds(60),
                                        () -> {
                                            generator.next(x, 0, 64);
                                            publisher.publish(x, 64, 32);
                                            publisher.flush();
                                            scraped[0] =
                                                    HttpClient.newHttpClient()
                                                            .send(
                                                                    HttpRequest.newBuilder(
                                                                                    URI.create(
                                                                                            "http://localhost:"
                                                                                                    + endpoint
                                                                                                            .port()
                                                                                                    + "/metrics"))
                                                                            .timeout(
                                                                                    Duration
                                                                                            .ofSeconds(
                                                                                                    10))
                                                                            .build(),
                                                                    HttpResponse.BodyHandlers
                                                                            .ofString())
                                                            .body();
                                            return used.stream()
                                                    .allMatch(m -> exported(scraped[0], m));
                                        }))
                        .as(
                                "the metrics endpoint shows every metric of the dashboard and the"
                                        + " rules; missing: %s",
                                used.stream().filter(m -> !exported(scraped[0], m)).toList())
                        .isTrue();
                String scrape = scraped[0];
                for (String name :
                        List.of(
                                "aen_encode_rows_total",
                                "aen_encode_batch_seconds_bucket",
                                "aen_ort_seconds_count",
                                "aen_dead_pct{sae_id=\"metrics-sae\"}",
                                "aen_alerts_emitted_total{type=\"FEATURE_DEAD\"}",
                                "records_lag")) {
                    assertThat(scrape).as("metric %s", name).contains(name);
                }
            }
        }
    }

    /** Whether the scrape holds a series of {@code metric}. */
    private static boolean exported(String scrape, String metric) {
        return scrape.contains("\n" + metric + "{") || scrape.contains("\n" + metric + " ");
    }

    /**
     * What the encoder's monitor hears besides its own rows: watch rules on every feature (any
     * version), a trainer's facts and a splicing producer's figures.
     */
    private static void facts(KafkaConnection kafka, Topics topics) throws Exception {
        try (var producer = dev.aenstream.topics.Producers.idempotent(kafka, "metrics-facts")) {
            AvroSerde<WatchRule> rules = new AvroSerde<>(WatchRule.class);
            for (int j = 0; j < 64; j++) {
                WatchRule r =
                        WatchRule.newBuilder()
                                .setRuleId("f" + j)
                                .setSaeId("metrics-sae")
                                .setFeature(j)
                                .setVersion(0)
                                .setLabel("")
                                .setCondition(
                                        j == 0
                                                ? WatchCondition.DENSITY_ABOVE
                                                : WatchCondition.ACTIVATION_ABOVE)
                                .setThreshold(j == 0 ? 0.5 : 1e-6)
                                .setWindowTokens(500)
                                .build();
                producer.send(
                                new ProducerRecord<>(
                                        topics.watchRules(),
                                        bytes(r.getRuleId()),
                                        rules.toBytes(r)))
                        .get();
            }
            TrainerMetrics m =
                    TrainerMetrics.newBuilder()
                            .setSaeId("metrics-sae")
                            .setArch("aen")
                            .setVersion(1)
                            .setStep(100)
                            .setTokens(6_400)
                            .setMse(0.1)
                            .setL1(1)
                            .setL2(1)
                            .setLoss(0.2)
                            .setL0(16)
                            .setFve(0.6)
                            .setDeadPct(5)
                            .setWeightSaturation(0.1)
                            .setWarmupFactor(1)
                            .setTokensPerS(1000)
                            .setConsumerLag(12)
                            .setShrinkage(0.9)
                            .setTimestampMs(0)
                            .build();
            producer.send(
                            new ProducerRecord<>(
                                    topics.trainerMetrics(),
                                    bytes("metrics-sae"),
                                    new AvroSerde<>(TrainerMetrics.class).toBytes(m)))
                    .get();
            SpliceFigures f =
                    SpliceFigures.newBuilder()
                            .setSaeId("metrics-sae")
                            .setVersion(1)
                            .setSourceModel("gpt2")
                            .setHookPoint("h.6")
                            .setProducerId("p")
                            .setHead(ModelHead.LOGITS)
                            .setSequences(4)
                            .setTokens(500)
                            .setFigures(
                                    Map.of(
                                            "ce_loss_score", 0.8,
                                            "kl_div_with_sae", 0.1,
                                            "fve", 0.7))
                            .setTimestampMs(0)
                            .build();
            producer.send(
                            new ProducerRecord<>(
                                    topics.spliceFigures(),
                                    bytes("metrics-sae"),
                                    new AvroSerde<>(SpliceFigures.class).toBytes(f)))
                    .get();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
