package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.encode.EncodeApp;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.testkit.ExternalTools;
import dev.aenstream.testkit.Wait;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python producer (producers/python) hooks a PyTorch layer; the Java encoder consumes every row
 * it publishes.
 */
class PythonProducerIT {
    @TempDir Path dir;

    @Test
    void theJavaEncoderEncodesEveryRowThePythonProducerPublishes() throws Exception {
        ExternalTools.requirePython(
                "python3-confluent-kafka python3-avro python3-numpy python3-torch",
                "confluent_kafka",
                "avro",
                "numpy",
                "torch");
        Topics topics = new Topics("python.");
        Path script = ExternalTools.pythonPackageCopy(dir).resolve("aen_producer.py");
        try (EmbeddedBroker broker = EmbeddedBroker.start(0, dir.resolve("kafka"));
                Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
                SaeEncoder encoder =
                        SaeEncoder.open(
                                SaeParameters.initialise(16, 32, 1),
                                new EncoderSpec(32, false),
                                Device.CPU,
                                1)) {
            TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker());
            SaeRegistry registry = new SaeRegistry();
            registry.put(new ServingSae("py", 1, encoder, "test"));
            EncodeConfig config =
                    EncodeConfig.defaults(topics, dir.resolve("state"))
                            .withApplicationId("python-encode")
                            .withMonitor(null);
            try (EncodeApp app =
                    new EncodeApp(
                            KafkaConnection.of(broker.bootstrapServers()), config, registry)) {
                app.start();
                Ran python =
                        python(
                                script.toString(),
                                "--bootstrap-servers",
                                broker.bootstrapServers(),
                                "--topic",
                                topics.activations(),
                                "--producer-id",
                                "py-test",
                                "--n",
                                "16");
                assertThat(python.exit()).as(python.err()).isZero();
                String out = python.out();
                JsonNode summary = new ObjectMapper().readTree(out.substring(out.lastIndexOf('{')));
                long rows = summary.get("rows").asLong();
                assertThat(rows).isEqualTo(5L * 4 * 32);
                assertThat(Wait.until(Duration.ofSeconds(60), () -> app.stats().rows() >= rows))
                        .as("the encoder took every row the Python producer sent")
                        .isTrue();
                assertThat(app.stats().rows()).as("rows encoded").isEqualTo(rows);
                assertThat(app.stats().records()).isEqualTo(summary.get("records").asLong());
                assertThat(app.stats().deadLetters()).as("dead letters").isZero();
            }
        }
    }

    /**
     * The Python producer reads the client settings file a secured broker writes for the Java
     * clients and turns it into librdkafka's settings: the PLAIN file for any librdkafka, the SCRAM
     * one refused with the version and the fix where librdkafka fails SCRAM against Kafka 4 (before
     * 2.6.1; Debian ships 2.0.2).
     */
    @Test
    void thePythonProducerTranslatesTheJavaClientSettingsFile() throws Exception {
        ExternalTools.requirePython(
                "python3-confluent-kafka python3-avro python3-numpy",
                "confluent_kafka",
                "avro",
                "numpy");
        Path producers = ExternalTools.pythonPackageCopy(dir);
        dev.aenstream.broker.BrokerSecurity security =
                dev.aenstream.broker.BrokerSecurity.in(dir.resolve("security"));
        Path scram = security.writeClientConfig("producer");
        Path plain = scram.resolveSibling("producer-plain.properties");
        Ran t = translate(producers, plain);
        assertThat(t.exit()).as(t.out()).isZero();
        JsonNode c = new ObjectMapper().readTree(t.out());
        assertThat(c.get("security.protocol").asText()).isEqualTo("SASL_SSL");
        assertThat(c.get("sasl.mechanism").asText()).isEqualTo("PLAIN");
        assertThat(c.get("sasl.username").asText()).isEqualTo("producer");
        assertThat(c.get("sasl.password").asText())
                .isEqualTo(
                        security.clientProperties("producer")
                                .get("sasl.jaas.config")
                                .replaceAll("(?s).*password=\"([^\"]*)\".*", "$1"));
        assertThat(c.get("ssl.ca.location").asText())
                .isEqualTo(security.caCertificate().toString());

        Ran s = translate(producers, scram);
        if (librdkafkaBeforeScram(producers)) {
            assertThat(s.exit()).isNotZero();
            assertThat(s.err())
                    .contains("does not work with librdkafka")
                    .contains("producer-plain.properties".replace("producer", "NAME"));
        } else {
            assertThat(s.exit()).as(s.err()).isZero();
        }
    }

    /**
     * A Python client on `aen broker --secure`: publishes activations as the producer and reads
     * alerts as the dashboard (in a reader group its ACLs allow), over TLS, with what Debian ships.
     */
    @Test
    void aPythonClientPublishesAndReadsOverTlsOnTheSecuredBroker() throws Exception {
        ExternalTools.requirePython(
                "python3-confluent-kafka python3-avro python3-numpy python3-torch",
                "confluent_kafka",
                "avro",
                "numpy",
                "torch");
        Topics topics = new Topics("pysec.");
        Path producers = ExternalTools.pythonPackageCopy(dir);
        try (EmbeddedBroker broker =
                        EmbeddedBroker.start(
                                EmbeddedBroker.freePort(), dir.resolve("kafka"), true);
                Admin admin = Admin.create(broker.adminConnection().client())) {
            TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker());
            broker.grant(topics, "aen-encode", "aen-trainer");
            Path producerPlain =
                    broker.security()
                            .writeClientConfig("producer")
                            .resolveSibling("producer-plain.properties");
            Path dashboardPlain =
                    broker.security()
                            .writeClientConfig("dashboard")
                            .resolveSibling("dashboard-plain.properties");
            Ran python =
                    python(
                            producers.resolve("aen_producer.py").toString(),
                            "--bootstrap-servers",
                            broker.bootstrapServers(),
                            "--command-config",
                            producerPlain.toString(),
                            "--topic",
                            topics.activations(),
                            "--batches",
                            "2",
                            "--n",
                            "16");
            assertThat(python.exit()).as(python.err()).isZero();
            String out = python.out();
            long records =
                    new ObjectMapper()
                            .readTree(out.substring(out.lastIndexOf('{')))
                            .get("records")
                            .asLong();
            // The Python producer is idempotent, not transactional: one offset per record.
            long onTopic = 0;
            for (var p :
                    admin.describeTopics(java.util.List.of(topics.activations()))
                            .allTopicNames()
                            .get()
                            .get(topics.activations())
                            .partitions())
                onTopic +=
                        admin.listOffsets(
                                        Map.of(
                                                new org.apache.kafka.common.TopicPartition(
                                                        topics.activations(), p.partition()),
                                                org.apache.kafka.clients.admin.OffsetSpec.latest()))
                                .all()
                                .get()
                                .values()
                                .iterator()
                                .next()
                                .offset();
            assertThat(onTopic).as("activation records on the topic").isEqualTo(records);

            try (dev.aenstream.monitor.AlertPublisher alerts =
                    new dev.aenstream.monitor.AlertPublisher(
                            broker.connection("encoder"), topics.alerts())) {
                new dev.aenstream.monitor.FollowerAlerts(alerts)
                        .refused("py-sae", 3, "a test refusal");
                alerts.flush();
            }
            Ran reader =
                    python(
                            "-c",
                            "import sys; sys.path.insert(0, sys.argv[1]); from aen_stream import"
                                    + " readers, client_config, read_java_properties; s ="
                                    + " client_config(read_java_properties(sys.argv[3])); a ="
                                    + " list(readers.alerts(sys.argv[2], prefix='pysec.', idle=5,"
                                    + " client_settings=s)); print(len(a), a[0].get('saeId') if a"
                                    + " else '')",
                            producers.toString(),
                            broker.bootstrapServers(),
                            dashboardPlain.toString());
            assertThat(reader.exit()).as(reader.err()).isZero();
            String read = reader.out();
            assertThat(read).as("alerts the Python reader read").isEqualTo("1 py-sae");
        }
    }

    /** What a Python run printed, and how it ended. */
    private record Ran(int exit, String out, String err) {}

    /**
     * Runs Debian's Python with {@code args} (up to 120 s); its errors go to a file, so no pipe
     * fills while it runs.
     */
    private Ran python(String... args) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>();
        command.add(ExternalTools.PYTHON);
        command.addAll(java.util.List.of(args));
        Path errors = java.nio.file.Files.createTempFile(dir, "python", ".err");
        Process p = new ProcessBuilder(command).redirectError(errors.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("python ended").isTrue();
        return new Ran(
                p.exitValue(),
                new String(p.getInputStream().readAllBytes()).strip(),
                java.nio.file.Files.readString(errors).strip());
    }

    private Ran translate(Path producers, Path settings) throws Exception {
        return python(
                "-c",
                "import json, sys; sys.path.insert(0, sys.argv[1]); import aen_producer as a;"
                    + " print(json.dumps(a.client_config(a.read_java_properties(sys.argv[2]))))",
                producers.toString(),
                settings.toString());
    }

    private boolean librdkafkaBeforeScram(Path producers) throws Exception {
        Ran ran =
                python(
                        "-c",
                        "import sys; sys.path.insert(0, sys.argv[1]); from aen_stream import"
                            + " settings as s; v = s._librdkafka_version(); print(v is not None and"
                            + " v[0] < s.SCRAM_SINCE)",
                        producers.toString());
        assertThat(ran.exit()).as(ran.err()).isZero();
        return ran.out().equals("True");
    }
}
