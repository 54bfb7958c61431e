package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.SaeState;
import dev.aenstream.avro.Severity;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusAndAlertsIT {
    @TempDir Path dir;

    @Test
    void statusShowsTheLatestStatePerSaeAndAlertsPrintsReadableLines() throws Exception {
        Topics topics = Topics.defaults();
        try (EmbeddedBroker broker = EmbeddedBroker.start(0, dir.resolve("kafka"));
                Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
                KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(
                                Map.of("bootstrap.servers", broker.bootstrapServers()),
                                new ByteArraySerializer(),
                                new ByteArraySerializer())) {
            TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker());
            AvroSerde<SaeState> states = new AvroSerde<>(SaeState.class);
            for (long v = 1; v <= 2; v++) {
                SaeState s =
                        SaeState.newBuilder()
                                .setSaeId("aen")
                                .setVersion(v)
                                .setD(4)
                                .setTokens(1000 * v)
                                .setDeadPct(25)
                                .setRarePct(50)
                                .setL0(2)
                                .setDensityHistogram(List.of(1L, 0L, 0L, 0L, 2L, 0L, 1L, 0L))
                                .setUpdatedAtMs(0)
                                .build();
                producer.send(
                                new ProducerRecord<>(
                                        topics.saeState(),
                                        "aen".getBytes(StandardCharsets.UTF_8),
                                        states.toBytes(s)))
                        .get();
            }
            // The topic is untrusted: bytes that are no state, under a key of their own, and a
            // tombstone; status reads past both and says it skipped one.
            for (byte[] junk : new byte[][] {{1, 2, 3}, null})
                producer.send(
                                new ProducerRecord<>(
                                        topics.saeState(),
                                        "junk".getBytes(StandardCharsets.UTF_8),
                                        junk))
                        .get();
            Alert alert =
                    Alert.newBuilder()
                            .setAlertType(AlertType.FEATURE_DEAD)
                            .setSeverity(Severity.WARNING)
                            .setSaeId("aen")
                            .setVersion(2)
                            .setFeatureIds(List.of(3))
                            .setValue(1)
                            .setThreshold(1000)
                            .setMessage("1 features have not fired")
                            .setTimestampMs(0)
                            .build();
            producer.send(
                            new ProducerRecord<>(
                                    topics.alerts(),
                                    "aen".getBytes(StandardCharsets.UTF_8),
                                    new AvroSerde<>(Alert.class).toBytes(alert)))
                    .get();

            Path summary = dir.resolve("status.json");
            String out =
                    run(
                            "status",
                            "--bootstrap-servers",
                            broker.bootstrapServers(),
                            "--summary-json",
                            summary.toString());
            assertThat(out)
                    .contains("aen v2")
                    .contains("dead 25.00%")
                    .contains("rare 50.00%")
                    .contains("never")
                    .contains("skipped 1 record of aen.sae-state that is no usable SaeState")
                    .contains("BAD_HEADER");
            JsonNode sae = new ObjectMapper().readTree(summary.toFile()).get("saes").get(0);
            assertThat(sae.get("sae_id").asText()).isEqualTo("aen");
            assertThat(sae.get("version").asLong()).isEqualTo(2);
            assertThat(sae.get("dead_pct").asDouble()).isEqualTo(25.0);
            assertThat(sae.get("rare_pct").asDouble()).isEqualTo(50.0);
            assertThat(sae.get("tokens").asLong()).isEqualTo(2000);

            String alerts =
                    run(
                            "alerts",
                            "--bootstrap-servers",
                            broker.bootstrapServers(),
                            "--from-beginning",
                            "--duration",
                            "8");
            assertThat(alerts)
                    .contains("WARNING")
                    .contains("FEATURE_DEAD")
                    .contains("aen v2")
                    .contains("features 3");
        }
    }

    private static String run(String... args) {
        PrintStream original = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThat(Aen.commandLine(args).execute(args)).isZero();
        } finally {
            System.setOut(original);
            System.setErr(originalErr);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
