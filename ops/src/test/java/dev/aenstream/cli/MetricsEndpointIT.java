package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scrapes the Prometheus endpoint of a running encoder and finds the named metrics. */
class MetricsEndpointIT {
    @TempDir Path dir;

    @Test
    void theScrapeShowsThroughputLatencyOrtTimeLagDeadShareAndAlerts() throws Exception {
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
            registry.put(new ServingSae("metrics-sae", 1, encoder, "test"));
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
                                            return scraped[0].contains(
                                                            "aen_dead_pct{sae_id=\"metrics-sae\"}")
                                                    && scraped[0].contains("records_lag");
                                        }))
                        .as("the metrics endpoint shows the encoder's figures")
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
}
