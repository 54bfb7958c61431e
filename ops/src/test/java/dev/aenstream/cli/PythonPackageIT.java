package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SchemaHistory;
import dev.aenstream.avro.Severity;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.encode.CodesRecords;
import dev.aenstream.encode.EncodeApp;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.testkit.ExternalTools;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.TopicReader;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python package (producers/python) installed from the checkout into a venv made with Debian's
 * Python and its packages (no package index), and its tests run against a broker and an encoder
 * started here: its fingerprints equal the Java Avro library's for every archived schema, a torch
 * model's hooked layer comes back as codes, what the Python reader decoded of them equals what Java
 * decodes, and its spliced evaluation of a PyTorch model agrees with {@code aen eval} of the same
 * model exported to ONNX.
 */
class PythonPackageIT {
    static {
        // The test builds TrainerMetrics (with nested records) before any serde exists.
        AvroSerde.trustGeneratedClasses();
    }

    private static final int N = 16;
    private static final int D = 32;
    private static final Path FIXTURES =
            Path.of("../producers/src/test/resources/fixtures").toAbsolutePath().normalize();

    @TempDir Path dir;

    @Test
    void thePackageInstallsFromTheCheckoutAndItsTestsPassAgainstABroker() throws Exception {
        ExternalTools.requirePython(
                "python3-confluent-kafka python3-avro python3-numpy python3-scipy python3-torch"
                        + " python3-venv python3-pip python3-setuptools python3-wheel",
                "confluent_kafka",
                "avro",
                "numpy",
                "scipy",
                "torch",
                "ensurepip");
        // pip, setuptools and wheel are asked for by the install itself: importing setuptools
        // beside
        // torch in one interpreter trips its distutils check.
        Path pkg = ExternalTools.pythonPackageCopy(dir);
        Path venv = dir.resolve("venv");
        run(
                dir,
                Map.of(),
                ExternalTools.PYTHON,
                "-m",
                "venv",
                "--system-site-packages",
                venv.toString());
        Path python = venv.resolve("bin/python");
        run(
                dir,
                Map.of(),
                python.toString(),
                "-m",
                "pip",
                "install",
                "--no-build-isolation",
                "--no-index",
                "--disable-pip-version-check",
                pkg.toString());
        String where =
                run(
                        dir,
                        Map.of(),
                        python.toString(),
                        "-c",
                        "import aen_stream; print(aen_stream.__file__)");
        assertThat(where.strip())
                .as("the installed package, not the checkout")
                .startsWith(venv.toString());

        Path fingerprints = dir.resolve("fingerprints.json");
        Map<String, String> java = new TreeMap<>();
        for (String name : SchemaHistory.archivedFiles()) {
            Schema s =
                    new Schema.Parser()
                            .parse(SchemaHistory.class.getResourceAsStream("history/" + name));
            java.put(name, String.format("%016x", SchemaNormalization.parsingFingerprint64(s)));
        }
        new ObjectMapper().writeValue(fingerprints.toFile(), java);

        Topics topics = new Topics("py.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(1, (short) 1));
            String bootstrap = cluster.bootstrapServers();
            writeAlertAndMetrics(bootstrap, topics);
            SaeRegistry registry = new SaeRegistry();
            try (SaeEncoder encoder =
                            SaeEncoder.open(
                                    SaeParameters.initialise(N, D, 8),
                                    new EncoderSpec(D, false),
                                    Device.CPU,
                                    1);
                    EncodeApp app =
                            new EncodeApp(
                                    KafkaConnection.of(bootstrap),
                                    EncodeConfig.defaults(topics, dir.resolve("state")).toBuilder()
                                            .set(EncodeConfig.APPLICATION_ID, "py-encode")
                                            .monitor(
                                                    MonitorConfig.defaults().toBuilder()
                                                            .set(MonitorConfig.WINDOW_MS, 2_000)
                                                            .build())
                                            .build(),
                                    registry)) {
                registry.put(new ServingSae("py", 1, encoder, "test"));
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
                Path codesOut = dir.resolve("codes.json");
                Path evalJson = evalTinyGpt2();
                String out =
                        run(
                                dir,
                                Map.of(
                                        "AEN_TEST_BOOTSTRAP", bootstrap,
                                        "AEN_TEST_PREFIX", "py.",
                                        "AEN_TEST_N", Integer.toString(N),
                                        "AEN_TEST_D", Integer.toString(D),
                                        "AEN_TEST_FINGERPRINTS", fingerprints.toString(),
                                        "AEN_TEST_CODES_OUT", codesOut.toString(),
                                        "AEN_TEST_FIXTURES", FIXTURES.toString(),
                                        "AEN_TEST_EVAL_JSON", evalJson.toString()),
                                python.toString(),
                                "-m",
                                "unittest",
                                "discover",
                                "-v",
                                "-s",
                                pkg.resolve("tests").toString(),
                                "-t",
                                pkg.resolve("tests").toString());
                assertThat(out).doesNotContain("skipped");
                compareCodes(bootstrap, topics, new ObjectMapper().readTree(codesOut.toFile()));
            }
        }
    }

    /**
     * {@code aen eval} of the fixture SAE spliced into the tiny GPT-2-style decoder, which the
     * package's own evaluation of the same model in PyTorch must agree with.
     */
    private Path evalTinyGpt2() throws Exception {
        Path out = dir.resolve("eval.json");
        List<String> args = new ArrayList<>(List.of("eval"));
        args.addAll(EvalCommandTest.tinyModel("gpt2"));
        args.addAll(
                List.of(
                        "--sae-file",
                        FIXTURES.resolve("splice/gpt2-sae").toString(),
                        "--summary-json",
                        out.toString()));
        assertThat(Aen.commandLine(new String[0]).execute(args.toArray(String[]::new))).isZero();
        return out;
    }

    /** What Python decoded of its own records' codes equals what Java decodes. */
    private static void compareCodes(String bootstrap, Topics topics, JsonNode python) {
        AvroSerde<FeatureCodes> serde = new AvroSerde<>(FeatureCodes.class);
        int compared = 0;
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.readFor(bootstrap, topics.codes(), true, Duration.ofSeconds(3))) {
            FeatureCodes c = serde.fromBytes(r.value());
            if (!c.getProducerId().startsWith("py-test@")) continue;
            SparseCodes codes = CodesRecords.fromRecord(c);
            JsonNode p = python.get(Long.toString(c.getSequence()));
            assertThat(p).as("sequence %d", c.getSequence()).isNotNull();
            assertThat(p.get("rows").asInt()).isEqualTo(codes.rows());
            assertThat(p.get("nnz").asInt()).isEqualTo(codes.entries());
            double sum = 0;
            for (int e = 0; e < codes.entries(); e++) sum += codes.values()[e];
            assertThat(p.get("sum").asDouble())
                    .isCloseTo(sum, org.assertj.core.data.Offset.offset(1e-3));
            compared++;
        }
        assertThat(compared).isEqualTo(3);
    }

    private static void writeAlertAndMetrics(String bootstrap, Topics topics) throws Exception {
        Alert alert =
                Alert.newBuilder()
                        .setAlertType(AlertType.FEATURE_DEAD)
                        .setSeverity(Severity.WARNING)
                        .setSaeId("py")
                        .setVersion(1)
                        .setFeatureIds(List.of(3, 5, 8))
                        .setValue(3)
                        .setThreshold(1)
                        .setMessage("three features starve")
                        .setTimestampMs(System.currentTimeMillis())
                        .build();
        TrainerMetrics metrics =
                TrainerMetrics.newBuilder()
                        .setSaeId("py")
                        .setArch("aen")
                        .setVersion(1)
                        .setStep(42)
                        .setTokens(42 * 64)
                        .setMse(0.1)
                        .setL1(0.2)
                        .setL2(0.3)
                        .setLoss(0.6)
                        .setL0(7)
                        .setFve(0.8)
                        .setDeadPct(12.5)
                        .setWarmupFactor(1)
                        .setTokensPerS(1000)
                        .setConsumerLag(0)
                        .setTimestampMs(System.currentTimeMillis())
                        .build();
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
            producer.send(
                    new ProducerRecord<>(
                            topics.alerts(),
                            "py".getBytes(StandardCharsets.UTF_8),
                            new AvroSerde<>(Alert.class).toBytes(alert)));
            producer.send(
                    new ProducerRecord<>(
                            topics.trainerMetrics(),
                            "py".getBytes(StandardCharsets.UTF_8),
                            new AvroSerde<>(TrainerMetrics.class).toBytes(metrics)));
        }
    }

    /** Runs a command, its output kept; fails with the output when it does not exit 0. */
    private static String run(Path cwd, Map<String, String> env, String... command)
            throws Exception {
        ProcessBuilder pb =
                new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Path log = Files.createTempFile(cwd, "run", ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        boolean done = p.waitFor(5, TimeUnit.MINUTES);
        String out = Files.readString(log);
        if (!done) p.destroyForcibly();
        assertThat(done && p.exitValue() == 0).as(String.join(" ", command) + "\n" + out).isTrue();
        return out;
    }
}
