package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SourceBinding;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.WatchCondition;
import dev.aenstream.avro.WatchRule;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.models.ModelTrust;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.node.EncoderNode;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.RowText;
import dev.aenstream.produce.text.Document;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Watch rules end to end on a real broker: rules set with {@code aen watch} (a bad rules file sets
 * none, with the entry named), an encoder following the models topic, a rule on the feature that
 * reads a concept alerting with the token's text; then a version published with lineage that moves
 * that feature to another id: the same rule fires on the same concept under its new id, and {@code
 * aen watch list} shows the rule moved. Records on the topic that are no rule are skipped by the
 * encoder, listed as not applied and removable.
 */
class WatchRulesIT {
    private static final int N = 16;
    private static final int D = 16;
    private static final int ROWS = 64;
    private static final int CONCEPT = 5;
    private static final int MOVED_TO = 11;

    @TempDir Path dir;

    /** Feature {@code concept} fires only where x[0] > 5; no other feature fires. */
    private static byte[] sae(int concept) {
        SaeParameters p = SaeParameters.initialise(N, D, 1);
        Arrays.fill(p.wEnc(), 0f);
        Arrays.fill(p.bEnc(), -100f);
        p.wEnc()[concept * N] = 1f;
        p.bEnc()[concept] = -5f;
        return EncoderGraph.build(p, new EncoderSpec(D, false), "watch_" + concept).toByteArray();
    }

    private static ModelPublisher.Version version(long v, ModelPublisher.FeatureLineage lineage) {
        return new ModelPublisher.Version(
                "aen",
                v,
                "relu",
                N,
                D,
                D,
                Normalisation.NONE,
                Map.of(),
                SourceBinding.ANY,
                lineage);
    }

    private int run(String bootstrap, Topics topics, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix()));
        return Aen.commandLine(new String[0]).execute(all.toArray(String[]::new));
    }

    @Test
    void aRuleSetFromTheCliSurvivesAVersionSwapAndFiresOnTheSameConcept() throws Exception {
        Topics topics = new Topics("watch.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(2, (short) 1));
            String bootstrap = cluster.bootstrapServers();
            KafkaConnection kafka = KafkaConnection.of(bootstrap);

            Path bad = dir.resolve("rules.json");
            Files.writeString(
                    bad,
                    "[{\"saeId\": \"aen\", \"feature\": 1, \"condition\": \"density_above\","
                            + " \"threshold\": 0.2}, {\"saeId\": \"aen\", \"feature\": 2,"
                            + " \"condition\": \"density_above\", \"threshold\": 3}]");
            assertThat(run(bootstrap, topics, "watch", "apply", "--file", bad.toString()))
                    .as("a density of 3 is refused, and with it the whole file")
                    .isNotZero();
            assertThat(
                            run(
                                    bootstrap,
                                    topics,
                                    "watch",
                                    "set",
                                    "--sae-id",
                                    "aen",
                                    "--feature",
                                    Integer.toString(CONCEPT),
                                    "--at-version",
                                    "1",
                                    "--above",
                                    "2",
                                    "--label",
                                    "lighthouses",
                                    "--id",
                                    "lighthouses"))
                    .isZero();
            Path labels = dir.resolve("labels.csv");
            Files.writeString(labels, "feature,label\n3,\"harbours, quays\"\n");
            assertThat(
                            run(
                                    bootstrap,
                                    topics,
                                    "watch",
                                    "labels",
                                    "--file",
                                    labels.toString(),
                                    "--sae-id",
                                    "aen",
                                    "--at-version",
                                    "1"))
                    .isZero();
            assertThat(WatchCommand.read(options(bootstrap, topics)).keySet())
                    .containsExactlyInAnyOrder("lighthouses", "aen:3@v1:label");
            // Anyone who may write the topic may write anything: bytes that are no rule, and a
            // rule that does not hold together. The encoder below skips both and goes on; the
            // CLI lists them as not applied, with the reason, and removes them.
            try (KafkaProducer<byte[], byte[]> raw = rawProducer(bootstrap)) {
                raw.send(record(topics, "junk", new byte[] {1, 2, 3})).get();
                WatchRule negative =
                        WatchRule.newBuilder()
                                .setRuleId("negative")
                                .setSaeId("aen")
                                .setFeature(-4)
                                .setVersion(1)
                                .setLabel("")
                                .setCondition(WatchCondition.ACTIVATION_ABOVE)
                                .setThreshold(2)
                                .build();
                raw.send(
                                record(
                                        topics,
                                        "negative",
                                        new AvroSerde<>(WatchRule.class).toBytes(negative)))
                        .get();
            }

            MonitorConfig monitor =
                    MonitorConfig.builder().set(MonitorConfig.WINDOW_MS, 1_000).build();
            EncodeConfig config =
                    EncodeConfig.defaults(topics, dir.resolve("state")).toBuilder()
                            .set(EncodeConfig.APPLICATION_ID, "watch-encode")
                            .monitor(monitor)
                            .build();
            try (ModelPublisher models = new ModelPublisher(kafka, topics.models());
                    EncoderNode node =
                            EncoderNode.following(
                                    kafka,
                                    config,
                                    new EncoderNode.Following(
                                            N,
                                            ModelTrust.anyVersion(),
                                            Device.CPU,
                                            1,
                                            DictionaryShard.WHOLE));
                    ActivationPublisher producer =
                            new ActivationPublisher(
                                    kafka,
                                    PublisherConfig.of(
                                                    topics.activations(),
                                                    "tiny-lm",
                                                    "blocks.0",
                                                    "p")
                                            .with(PublisherConfig.ROWS_PER_RECORD, ROWS));
                    KafkaConsumer<byte[], byte[]> alerts = consumer(bootstrap, topics.alerts())) {
                models.publish(version(1, null), sae(CONCEPT));
                node.startEncoding();
                assertThat(node.awaitServing(1, Duration.ofSeconds(60))).isTrue();
                assertThat(node.app().awaitRunning(Duration.ofSeconds(60))).isTrue();
                Random random = new Random(3);
                send(producer, random, "before-swap", 7);
                Alert before = await(alerts, a -> a.getAlertType() == AlertType.WATCH_ACTIVATION);
                assertThat(before.getVersion()).isEqualTo(1);
                assertThat(before.getFeatureIds()).containsExactly(CONCEPT);
                assertThat(before.getWatch().getDocumentId()).isEqualTo("before-swap");
                assertThat(before.getWatch().getText()).contains("lighthouse");
                assertThat(before.getWatch().getSourceModel()).isEqualTo("tiny-lm");

                int[] previous = new int[D];
                float[] cos = new float[D];
                for (int j = 0; j < D; j++) {
                    previous[j] = j;
                    cos[j] = 1;
                }
                previous[MOVED_TO] = CONCEPT;
                previous[CONCEPT] = MOVED_TO;
                models.publish(
                        version(2, new ModelPublisher.FeatureLineage(1, previous, cos)),
                        sae(MOVED_TO));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (node.serving().get(0).version() != 2 && System.nanoTime() < deadline)
                    Thread.sleep(100);
                assertThat(node.serving().get(0).version()).isEqualTo(2);
                send(producer, random, "after-swap", 30);
                Alert after =
                        await(
                                alerts,
                                a ->
                                        a.getAlertType() == AlertType.WATCH_ACTIVATION
                                                && a.getVersion() == 2);
                assertThat(after.getFeatureIds()).containsExactly(MOVED_TO);
                assertThat(after.getWatch().getRuleId()).isEqualTo("lighthouses");
                assertThat(after.getWatch().getDocumentId()).isEqualTo("after-swap");
                assertThat(after.getWatch().getText()).contains("lighthouse");
                assertThat(after.getMessage()).startsWith("lighthouses: feature 11 of aen v2");
            }
            // The encoders write the moved rules back as they serve v2: wait for both (a bound).
            long moved = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < moved
                    && !WatchCommand.read(options(bootstrap, topics)).values().stream()
                            .allMatch(r -> r.getVersion() == 2)) Thread.sleep(200);
            PrintStream stdout = System.out;
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            System.setOut(new PrintStream(printed, true));
            try {
                assertThat(run(bootstrap, topics, "watch", "list", "--sae-id", "aen")).isZero();
            } finally {
                System.setOut(stdout);
            }
            assertThat(printed.toString())
                    .contains(
                            "junk: not applied: unreadable (BAD_HEADER: not an Avro single-object"
                                    + " WatchRule")
                    .contains("negative: not applied: feature must be a feature id (>= 0), got -4")
                    .contains(
                            "lighthouses: activation above 2.0 feature 11 of v2 \"lighthouses\""
                                    + " (declared as feature 5 of v1)")
                    .as("the label moved too: lineage continues feature 3 as itself")
                    .contains(
                            "aen:3@v1:label: label feature 3 of v2 \"harbours, quays\" (declared"
                                    + " as feature 3 of v1)");
            assertThat(run(bootstrap, topics, "watch", "remove", "--id", "junk,negative")).isZero();
            assertThat(WatchCommand.entries(options(bootstrap, topics)).keySet())
                    .containsExactlyInAnyOrder("lighthouses", "aen:3@v1:label");
        }
    }

    private static KafkaProducer<byte[], byte[]> rawProducer(String bootstrap) {
        return new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    private static ProducerRecord<byte[], byte[]> record(Topics topics, String key, byte[] value) {
        return new ProducerRecord<>(
                topics.watchRules(), key.getBytes(StandardCharsets.UTF_8), value);
    }

    private static dev.aenstream.cli.options.KafkaOptions options(String bootstrap, Topics topics) {
        dev.aenstream.cli.options.KafkaOptions o = new dev.aenstream.cli.options.KafkaOptions();
        new picocli.CommandLine(o)
                .parseArgs("--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix());
        return o;
    }

    /** One record, one document: noise, with the concept (and its word) on row {@code at}. */
    private static void send(ActivationPublisher producer, Random random, String doc, int at)
            throws Exception {
        float[] x = new float[ROWS * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        x[at * N] += 10;
        StringBuilder text = new StringBuilder();
        int[] offsets = new int[2 * ROWS];
        for (int r = 0; r < ROWS; r++) {
            if (r > 0) text.append(' ');
            offsets[2 * r] = text.length();
            text.append(r == at ? "lighthouse" : "sea");
            offsets[2 * r + 1] = text.length();
        }
        producer.publish(
                x,
                ROWS,
                N,
                new RowText(
                        new int[ROWS],
                        offsets,
                        new int[ROWS],
                        List.of(new Document(doc, text.toString()))));
        producer.flush();
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String topic) {
        KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrap,
                                ConsumerConfig.GROUP_ID_CONFIG,
                                "watch-it-" + UUID.randomUUID(),
                                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                                "earliest",
                                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                                "read_committed"),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer());
        c.subscribe(List.of(topic));
        return c;
    }

    /** The first alert that {@code wanted} accepts, within two minutes (a bound, not a pace). */
    private static Alert await(KafkaConsumer<byte[], byte[]> alerts, Predicate<Alert> wanted) {
        AvroSerde<Alert> serde = new AvroSerde<>(Alert.class);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline)
            for (var r : alerts.poll(Duration.ofMillis(300))) {
                Alert a = serde.fromBytes(r.value());
                if (wanted.test(a)) return a;
            }
        throw new AssertionError("no such alert within 120 s");
    }
}
