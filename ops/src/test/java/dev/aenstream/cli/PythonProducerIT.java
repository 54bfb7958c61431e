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
                Process python =
                        new ProcessBuilder(
                                        ExternalTools.PYTHON,
                                        script.toString(),
                                        "--bootstrap-servers",
                                        broker.bootstrapServers(),
                                        "--topic",
                                        topics.activations(),
                                        "--producer-id",
                                        "py-test",
                                        "--n",
                                        "16")
                                .redirectError(ProcessBuilder.Redirect.INHERIT)
                                .start();
                assertThat(python.waitFor(120, TimeUnit.SECONDS)).isTrue();
                String out = new String(python.getInputStream().readAllBytes()).strip();
                assertThat(python.exitValue()).as(out).isZero();
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
     * clients and turns it into librdkafka's settings. (Publishing through it needs librdkafka
     * 2.6.1 or newer: older ones fail SCRAM against Kafka 4; Debian ships 2.0.2.)
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
        Path settings = security.writeClientConfig("producer");
        Process python =
                new ProcessBuilder(
                                ExternalTools.PYTHON,
                                "-c",
                                "import json, sys; sys.path.insert(0, sys.argv[1]);"
                                        + " import aen_producer as a;"
                                        + " print(json.dumps(a.client_config("
                                        + "a.read_java_properties(sys.argv[2]))))",
                                producers.toString(),
                                settings.toString())
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
        assertThat(python.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(python.getInputStream().readAllBytes()).strip();
        assertThat(python.exitValue()).as(out).isZero();
        JsonNode c = new ObjectMapper().readTree(out);
        assertThat(c.get("security.protocol").asText()).isEqualTo("SASL_SSL");
        assertThat(c.get("sasl.mechanism").asText()).isEqualTo("SCRAM-SHA-512");
        assertThat(c.get("sasl.username").asText()).isEqualTo("producer");
        assertThat(c.get("sasl.password").asText())
                .isEqualTo(
                        security.clientProperties("producer")
                                .get("sasl.jaas.config")
                                .replaceAll("(?s).*password=\"([^\"]*)\".*", "$1"));
        assertThat(c.get("ssl.ca.location").asText())
                .isEqualTo(security.caCertificate().toString());
    }
}
