package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureContext;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeApp;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.RowText;
import dev.aenstream.produce.text.Document;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.TopicReader;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code aen features export} against a broker: every feature of the version is there; each top
 * activation is its context's text cut at the token, with the feature's value on the token; the
 * fire share and histogram add up to the version's statistics.
 */
class NeuronpediaExportIT {
    private static final int N = 16;
    private static final int D = 40;
    private static final int ROWS = 40;
    private static final int RECORDS = 12;
    private static final long WINDOW_MS = 2_000;

    @TempDir Path dir;

    @Test
    void aVersionsFeaturePagesGoOutInNeuronpediasFormat() throws Exception {
        Topics topics = new Topics("np.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(1, (short) 1));
            String bootstrap = cluster.bootstrapServers();
            KafkaConnection connection = KafkaConnection.of(bootstrap);
            SaeRegistry registry = new SaeRegistry();
            try (SaeEncoder encoder =
                            SaeEncoder.open(
                                    SaeParameters.initialise(N, D, 3),
                                    new EncoderSpec(D, false),
                                    Device.CPU,
                                    1);
                    EncodeApp app =
                            new EncodeApp(
                                    connection,
                                    EncodeConfig.defaults(topics, dir.resolve("state")).toBuilder()
                                            .set(EncodeConfig.APPLICATION_ID, "np-encode")
                                            .monitor(
                                                    MonitorConfig.defaults().toBuilder()
                                                            .set(MonitorConfig.WINDOW_MS, WINDOW_MS)
                                                            .set(MonitorConfig.TOP_CONTEXTS, 3)
                                                            .build())
                                            .build(),
                                    registry)) {
                registry.put(new ServingSae("np", 1, encoder, "test"));
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
                publish(connection, topics);
                // The last window is out once a punctuation after its end has flushed it.
                TopicReader.readFor(
                        bootstrap,
                        topics.featureStats(),
                        true,
                        Duration.ofSeconds(3 * WINDOW_MS / 1000 + 6));
            }
            Map<Integer, List<FeatureContext>> contexts = contexts(bootstrap, topics);
            long[] fires = new long[D];
            long[] histogram = new long[D * FeatureAccumulator.HISTOGRAM_BINS];
            long tokens = statistics(bootstrap, topics, fires, histogram);
            // The topics are untrusted: records that are no contexts, statistics or version, and
            // statistics of this SAE claiming a billion features, are skipped by the export.
            strays(bootstrap, topics);
            Path out = dir.resolve("np.json");
            int code =
                    Aen.commandLine(new String[0])
                            .execute(
                                    "features",
                                    "export",
                                    "--bootstrap-servers",
                                    bootstrap,
                                    "--topic-prefix",
                                    "np.",
                                    "--sae-id",
                                    "np",
                                    "--layer",
                                    "3",
                                    "--model-id",
                                    "words-model",
                                    "--allow-unsigned-models",
                                    "--out",
                                    out.toString());
            assertThat(code).isZero();
            JsonNode batch = new ObjectMapper().readTree(out.toFile());
            assertThat(batch.get("layer").asInt()).isEqualTo(3);
            assertThat(batch.get("sae_set").asText()).isEqualTo("np");
            assertThat(batch.get("model_id").asText()).isEqualTo("words-model");
            JsonNode features = batch.get("features");
            assertThat(features).hasSize(D);

            assertThat(tokens).isEqualTo((long) ROWS * RECORDS);
            int checked = 0;
            for (int j = 0; j < D; j++) {
                JsonNode f = features.get(j);
                assertThat(f.get("feature_index").asInt()).isEqualTo(j);
                assertThat(f.get("frac_nonzero").asDouble())
                        .isCloseTo(
                                (double) fires[j] / tokens,
                                org.assertj.core.data.Offset.offset(1e-12));
                long heights = 0;
                for (JsonNode h : f.get("freq_hist_data_bar_heights")) heights += h.asLong();
                long counted = 0;
                for (int b = 0; b < FeatureAccumulator.HISTOGRAM_BINS; b++)
                    counted += histogram[j * FeatureAccumulator.HISTOGRAM_BINS + b];
                assertThat(heights).isEqualTo(counted);
                List<FeatureContext> mine = contexts.getOrDefault(j, List.of());
                assertThat(f.get("activations")).hasSize(mine.size());
                for (int i = 0; i < mine.size(); i++) {
                    FeatureContext c = mine.get(i);
                    JsonNode a = f.get("activations").get(i);
                    StringBuilder text = new StringBuilder();
                    double max = 0;
                    String top = null;
                    for (int t = 0; t < a.get("tokens").size(); t++) {
                        text.append(a.get("tokens").get(t).asText());
                        double v = a.get("values").get(t).asDouble();
                        if (v > max) {
                            max = v;
                            top = a.get("tokens").get(t).asText();
                        }
                    }
                    assertThat(text.toString()).isEqualTo(c.getText());
                    assertThat((float) max).isEqualTo(c.getValue());
                    assertThat(top)
                            .isEqualTo(
                                    c.getText()
                                            .substring(c.getHighlightStart(), c.getHighlightEnd()));
                    checked++;
                }
            }
            assertThat(checked).isGreaterThan(D);
        }
    }

    private static void publish(KafkaConnection connection, Topics topics) throws Exception {
        Random random = new Random(4);
        String[] words = {"alpha", "beta", "gamma", "delta"};
        try (ActivationPublisher p =
                new ActivationPublisher(
                        connection,
                        PublisherConfig.of(topics.activations(), "words-model", "h", "np-producer")
                                .with(PublisherConfig.ROWS_PER_RECORD, ROWS))) {
            float[] x = new float[ROWS * N];
            for (int r = 0; r < RECORDS; r++) {
                StringBuilder text = new StringBuilder();
                int[] ids = new int[ROWS];
                int[] offsets = new int[2 * ROWS];
                for (int row = 0; row < ROWS; row++) {
                    if (row > 0) text.append(' ');
                    ids[row] = random.nextInt(words.length);
                    offsets[2 * row] = text.length();
                    text.append(words[ids[row]]);
                    offsets[2 * row + 1] = text.length();
                }
                for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
                p.publish(
                        x,
                        ROWS,
                        N,
                        new RowText(
                                ids,
                                offsets,
                                new int[ROWS],
                                List.of(new Document("doc-" + r, text.toString()))));
            }
            p.flush();
        }
    }

    private static void strays(String bootstrap, Topics topics) throws Exception {
        FeatureAccumulator acc = new FeatureAccumulator("np", 1, 3, 0);
        acc.add(new SparseCodes(1, 3, new int[] {0, 1}, new int[1], new float[] {1}, new int[1]));
        FeatureStats forged = acc.toRecord(1_000);
        forged.setD(1 << 30);
        byte[] junk = {1, 2, 3};
        try (KafkaProducer<byte[], byte[]> raw =
                new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(topics.featureContexts(), key("np/b9"), junk)).get();
            raw.send(new ProducerRecord<>(topics.featureStats(), key("np/junk"), junk)).get();
            raw.send(
                            new ProducerRecord<>(
                                    topics.featureStats(),
                                    key("np/forged"),
                                    new AvroSerde<>(FeatureStats.class).toBytes(forged)))
                    .get();
            ProducerRecord<byte[], byte[]> model =
                    new ProducerRecord<>(topics.models(), key(ModelRecords.modelKey("np")), junk);
            model.headers()
                    .add(ModelRecords.TYPE_HEADER, ModelRecords.typeBytes(ModelRecords.MODEL));
            raw.send(model).get();
        }
    }

    private static byte[] key(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    private static Map<Integer, List<FeatureContext>> contexts(String bootstrap, Topics topics) {
        AvroSerde<FeatureContexts> serde = new AvroSerde<>(FeatureContexts.class);
        Map<String, FeatureContexts> latest = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.readFor(
                        bootstrap, topics.featureContexts(), true, Duration.ofSeconds(3)))
            latest.put(new String(r.key()), serde.fromBytes(r.value()));
        Map<Integer, List<FeatureContext>> out = new HashMap<>();
        for (FeatureContexts b : latest.values())
            for (FeatureContext c : b.getContexts())
                out.computeIfAbsent(c.getFeature(), j -> new java.util.ArrayList<>()).add(c);
        return out;
    }

    private static long statistics(
            String bootstrap, Topics topics, long[] fires, long[] histogram) {
        AvroSerde<FeatureStats> serde = new AvroSerde<>(FeatureStats.class);
        Map<String, FeatureStats> latest = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.readFor(bootstrap, topics.featureStats(), true, Duration.ofSeconds(3)))
            latest.put(new String(r.key()), serde.fromBytes(r.value()));
        long tokens = 0;
        for (FeatureStats s : latest.values()) {
            long[] f = FeatureAccumulator.fireCounts(s);
            long[] h = FeatureAccumulator.histogram(s);
            for (int j = 0; j < f.length; j++) fires[j] += f[j];
            for (int i = 0; i < h.length; i++) histogram[i] += h[i];
            tokens += s.getTokens();
        }
        return tokens;
    }
}
