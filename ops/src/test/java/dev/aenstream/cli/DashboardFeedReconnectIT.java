package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Severity;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.dashboard.DashboardFeed;
import dev.aenstream.monitor.AlertPublisher;
import dev.aenstream.monitor.AlertSink;
import dev.aenstream.testkit.Wait;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard feed waits out a broker that is not there yet, or goes away, and catches up. */
class DashboardFeedReconnectIT {
    @TempDir Path dir;

    @Test
    void theFeedOutlivesABrokerOutageAndReadsWhatCameAfter() throws Exception {
        int port = EmbeddedBroker.freePort();
        Topics topics = Topics.defaults();
        KafkaConnection kafka = KafkaConnection.of("localhost:" + port);
        try (DashboardFeed feed = new DashboardFeed(kafka, topics).start()) {
            // No broker yet: the feed's first look for partitions times out.
            Thread.sleep(7_000);
            try (EmbeddedBroker broker = EmbeddedBroker.start(port, dir.resolve("kafka"))) {
                try (Admin admin = Admin.create(kafka.client())) {
                    TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker());
                }
                alert(kafka, topics, "before the outage");
                assertThat(Wait.until(Duration.ofSeconds(60), () -> alerts(feed) == 1))
                        .as("the feed shows the alert sent before the outage")
                        .isTrue();
            }
            // The broker is gone for a while; the feed keeps trying.
            Thread.sleep(7_000);
            try (EmbeddedBroker broker = EmbeddedBroker.start(port, dir.resolve("kafka"))) {
                alert(kafka, topics, "after the outage");
                assertThat(Wait.until(Duration.ofSeconds(90), () -> alerts(feed) == 2))
                        .as("the feed shows the alert sent after the outage")
                        .isTrue();
                assertThat(alerts(feed)).isEqualTo(2);
            }
        }
    }

    private static void alert(KafkaConnection kafka, Topics topics, String message) {
        try (AlertPublisher alerts = new AlertPublisher(kafka, topics.alerts())) {
            alerts.send(
                    AlertSink.alert(AlertType.FEATURE_DEAD, Severity.WARNING, "sae", 1)
                            .setFeatureIds(List.of(1))
                            .setValue(1)
                            .setMessage(message)
                            .setCrossLeverage(List.of(0.1f)));
            alerts.flush();
        }
    }

    @SuppressWarnings("unchecked")
    private static int alerts(DashboardFeed feed) {
        Map<String, Object> snapshot = feed.snapshot();
        return ((List<Object>) snapshot.get("alerts")).size();
    }
}
