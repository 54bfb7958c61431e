package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.dashboard.DashboardFeed;
import dev.aenstream.encode.EncodeApp;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.OpenTransactions;
import dev.aenstream.testkit.TopicReader;
import dev.aenstream.testkit.Wait;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every count a person is shown against an independent count of the codes topic, with the encoder's
 * transactions fenced while it works (so records are encoded twice and committed once): the
 * dashboard's tokens encoded and each feature's fires, {@code aen status}'s tokens, the Prometheus
 * rows counter and the Neuronpedia export's fire shares.
 */
class DisplayedCountsIT {
    private static final int N = 16;
    private static final int D = 32;
    private static final int ROWS = 24;
    private static final int RECORDS = 40;
    private static final long WINDOW_MS = 1_500;
    private static final String SAE = "counted";
    private static final String APP = "counts-encode";

    /** How long the encoder may take for its work on a loaded machine; a bound, not a pace. */
    private static final Duration WORK_TIMEOUT = Duration.ofSeconds(180);

    @TempDir Path dir;

    @Test
    void everyDisplayedCountEqualsTheCodesTopic() throws Exception {
        Topics topics = new Topics("cnt.");
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Metrics.addRegistry(prometheus);
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(2, (short) 1));
            String bootstrap = cluster.bootstrapServers();
            KafkaConnection connection = KafkaConnection.of(bootstrap);
            double rowsBefore = rowsCounter(prometheus);
            SaeRegistry registry = new SaeRegistry();
            int fenced = 0;
            long[] fires = new long[D];
            long rows;
            try (SaeEncoder encoder =
                            SaeEncoder.open(
                                    SaeParameters.initialise(N, D, 5),
                                    new EncoderSpec(D, false),
                                    Device.CPU,
                                    1);
                    EncodeApp app =
                            new EncodeApp(
                                    connection,
                                    EncodeConfig.defaults(topics, dir.resolve("state")).toBuilder()
                                            .set(EncodeConfig.APPLICATION_ID, APP)
                                            .monitor(
                                                    MonitorConfig.defaults().toBuilder()
                                                            .set(MonitorConfig.WINDOW_MS, WINDOW_MS)
                                                            .build())
                                            .build(),
                                    registry)) {
                registry.put(new ServingSae(SAE, 1, encoder, "test"));
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
                fenced = publish(connection, topics, admin);
                // Waits for the encoder's work, not for a fixed time: each fence makes it redo a
                // transaction, and on a loaded machine that took longer than any fixed wait (CI of
                // stop 39: 384 of 960 rows committed when the encoder was closed).
                rows = codes(bootstrap, topics, fires);
                assertThat(rows).as("rows in the codes topic").isEqualTo((long) ROWS * RECORDS);
                // The last window is out once a punctuation after its end has flushed it, the
                // top contexts once their own punctuation has.
                try (DashboardFeed feed = new DashboardFeed(connection, topics).start()) {
                    assertThat(Wait.until(WORK_TIMEOUT, () -> feed.encodedTokens(SAE) >= rows))
                            .as("the dashboard's tokens encoded (%d)", feed.encodedTokens(SAE))
                            .isTrue();
                    assertThat(Wait.until(WORK_TIMEOUT, () -> contextsOfEvery(feed, fires)))
                            .as("top contexts of every feature that fired")
                            .isTrue();
                }
            }
            assertThat(fenced).as("transactions fenced while the encoder worked").isPositive();

            // Prometheus: the encoder's rows counter counts committed work, not attempts.
            assertThat(rowsCounter(prometheus) - rowsBefore)
                    .as("aen_encode_rows_total")
                    .isEqualTo(rows);

            // The dashboard, read afresh after the encoder closed: tokens encoded per SAE and each
            // feature's fires.
            try (DashboardFeed feed = new DashboardFeed(connection, topics).start()) {
                assertThat(Wait.until(WORK_TIMEOUT, () -> feed.encodedTokens(SAE) >= rows))
                        .as("the dashboard's tokens encoded (%d)", feed.encodedTokens(SAE))
                        .isTrue();
                Thread.sleep(1000); // a duplicate counted late would show now
                assertThat(feed.encodedTokens(SAE)).as("dashboard tokens encoded").isEqualTo(rows);
                for (int j = 0; j < D; j++) {
                    Map<String, Object> page = feed.feature(SAE, j);
                    @SuppressWarnings("unchecked")
                    Map<String, Object> newest =
                            (Map<String, Object>) ((List<Object>) page.get("versions")).get(0);
                    assertThat(((Number) newest.get("fires")).longValue())
                            .as("dashboard fires of feature %d", j)
                            .isEqualTo(fires[j]);
                    assertThat(((Number) newest.get("tokens")).longValue()).isEqualTo(rows);
                }
            }

            // aen status: the monitor's tokens for the served version.
            Path status = dir.resolve("status.json");
            assertThat(
                            Aen.commandLine(new String[0])
                                    .execute(
                                            "status",
                                            "--bootstrap-servers",
                                            bootstrap,
                                            "--topic-prefix",
                                            "cnt.",
                                            "--summary-json",
                                            status.toString()))
                    .isZero();
            JsonNode saes = new ObjectMapper().readTree(status.toFile()).get("saes");
            assertThat(saes).hasSize(1);
            assertThat(saes.get(0).get("tokens").asLong()).as("aen status tokens").isEqualTo(rows);

            // The Neuronpedia export: each feature's share of tokens it fired on.
            Path export = dir.resolve("np.json");
            assertThat(
                            Aen.commandLine(new String[0])
                                    .execute(
                                            "features",
                                            "export",
                                            "--bootstrap-servers",
                                            bootstrap,
                                            "--topic-prefix",
                                            "cnt.",
                                            "--sae-id",
                                            SAE,
                                            "--model-id",
                                            "m",
                                            "--layer",
                                            "0",
                                            "--allow-unsigned-models",
                                            "--out",
                                            export.toString()))
                    .isZero();
            JsonNode features = new ObjectMapper().readTree(export.toFile()).get("features");
            assertThat(features).hasSize(D);
            for (int j = 0; j < D; j++)
                assertThat(features.get(j).get("frac_nonzero").asDouble())
                        .as("exported frac_nonzero of feature %d", j)
                        .isCloseTo((double) fires[j] / rows, within(1e-12));
        } finally {
            Metrics.removeRegistry(prometheus);
        }
    }

    /** Publishes the records, fencing the encoder's open transactions now and then. */
    private static int publish(KafkaConnection connection, Topics topics, Admin admin)
            throws Exception {
        Random random = new Random(9);
        int fenced = 0;
        try (ActivationPublisher p =
                new ActivationPublisher(
                        connection,
                        PublisherConfig.of(topics.activations(), "m", "h", "counts-producer")
                                .with(PublisherConfig.ROWS_PER_RECORD, ROWS))) {
            float[] x = new float[ROWS * N];
            for (int r = 0; r < RECORDS; r++) {
                for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
                p.publish(x, ROWS, N);
                if (r % 8 == 7) {
                    p.flush();
                    fenced += OpenTransactions.fence(admin, APP);
                }
                // Spread over several statistics windows.
                Thread.sleep(WINDOW_MS / 10);
            }
            p.flush();
        }
        return fenced;
    }

    /** Whether the dashboard holds top contexts of every feature that fired. */
    private static boolean contextsOfEvery(DashboardFeed feed, long[] fires) {
        for (int j = 0; j < fires.length; j++) {
            if (fires[j] == 0) continue;
            List<?> versions = (List<?>) feed.feature(SAE, j).get("versions");
            if (versions.isEmpty()) return false;
            if (((List<?>) ((Map<?, ?>) versions.get(0)).get("contexts")).isEmpty()) return false;
        }
        return true;
    }

    /** Rows and per-feature fires, counted from the committed codes themselves. */
    private static long codes(String bootstrap, Topics topics, long[] fires) {
        AvroSerde<FeatureCodes> serde = new AvroSerde<>(FeatureCodes.class);
        long rows = 0;
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.read(
                        bootstrap,
                        topics.codes(),
                        true,
                        RECORDS,
                        WORK_TIMEOUT,
                        Duration.ofSeconds(2))) {
            FeatureCodes c = serde.fromBytes(r.value());
            rows += c.getRows();
            ByteBuffer indices = c.getIndices().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            while (indices.remaining() >= Integer.BYTES) fires[indices.getInt()]++;
        }
        return rows;
    }

    private static double rowsCounter(PrometheusMeterRegistry prometheus) {
        Matcher m =
                Pattern.compile("(?m)^aen_encode_rows_total(?:\\{[^}]*\\})? ([0-9.eE+]+)$")
                        .matcher(prometheus.scrape());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
