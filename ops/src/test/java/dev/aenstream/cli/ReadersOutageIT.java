package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Severity;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.monitor.AlertPublisher;
import dev.aenstream.monitor.AlertSink;
import dev.aenstream.testkit.AenProcess;
import dev.aenstream.testkit.Wait;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aen alerts} follows the topic across a broker that goes away and comes back. */
class ReadersOutageIT {
    @TempDir Path dir;

    @Test
    void alertsFollowTheTopicAcrossABrokerOutage() throws Exception {
        int port = EmbeddedBroker.freePort();
        Path data = dir.resolve("kafka");
        Path log = dir.resolve("alerts.log");
        Topics topics = Topics.defaults();
        EmbeddedBroker broker = EmbeddedBroker.start(port, data, false);
        Process alerts = null;
        try {
            KafkaConnection kafka = KafkaConnection.of(broker.bootstrapServers());
            try (Admin admin = Admin.create(kafka.client())) {
                TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker());
            }
            send(kafka, topics, "before the outage");
            alerts =
                    AenProcess.start(
                            Aen.class,
                            List.of(
                                    "alerts",
                                    "--bootstrap-server",
                                    broker.bootstrapServers(),
                                    "--from-beginning",
                                    "--duration",
                                    "120"),
                            log);
            assertThat(
                            Wait.until(
                                    Duration.ofSeconds(60),
                                    () -> Files.readString(log).contains("before the outage")))
                    .isTrue();

            broker.close();
            Thread.sleep(8_000);
            assertThat(alerts.isAlive()).as("the reader waits for the broker").isTrue();
            broker = EmbeddedBroker.start(port, data, false);
            send(kafka, topics, "after the outage");
            assertThat(
                            Wait.until(
                                    Duration.ofSeconds(60),
                                    () -> Files.readString(log).contains("after the outage")))
                    .as("and catches up when it is back")
                    .isTrue();
        } finally {
            if (alerts != null) alerts.destroy();
            broker.close();
        }
    }

    private static void send(KafkaConnection kafka, Topics topics, String message) {
        try (AlertPublisher p = new AlertPublisher(kafka, topics.alerts())) {
            p.send(
                    AlertSink.alert(AlertType.MODEL_REFUSED, Severity.WARNING, "sae", 1)
                            .setMessage(message));
            p.flush();
        }
    }
}
