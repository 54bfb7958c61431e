package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.Severity;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.cli.options.DashboardOptions;
import dev.aenstream.cli.options.MetricsOptions;
import dev.aenstream.dashboard.DashboardFeed;
import dev.aenstream.dashboard.DashboardServer;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.monitor.AlertPublisher;
import dev.aenstream.monitor.AlertSink;
import dev.aenstream.testkit.ExternalTools;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.net.HttpURLConnection;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * What a topic writer can put on the dashboard stays text, and the dashboard lets in only whom it
 * should: loopback by default, and with a token only those who present it.
 */
class DashboardSecurityIT {
    private static final String EVIL_ID = "<img src=x onerror=\"window.__xss='id'\">";
    private static final String EVIL_ARCH = "<script>window.__xss='arch'</script>";
    private static final String EVIL_MESSAGE = "<img src=x onerror=\"window.__xss='message'\">";
    private static final String TOKEN = "t0ken-for-this-test";

    @Test
    void topicDataShowsAsTextRunsNothingAndNeedsTheToken() throws Exception {
        ExternalTools.requireChromium();
        Topics topics = Topics.defaults();
        try (EmbeddedBroker broker = EmbeddedBroker.start(0, null)) {
            KafkaConnection kafka = broker.connection("dashboard");
            try (Admin admin = Admin.create(kafka.client())) {
                TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker());
            }
            try (AlertPublisher alerts = new AlertPublisher(kafka, topics.alerts());
                    ModelPublisher models = new ModelPublisher(kafka, topics.models())) {
                alerts.send(
                        AlertSink.alert(AlertType.FEATURE_DEAD, Severity.WARNING, EVIL_ID, 1)
                                .setFeatureIds(List.of(3, 4))
                                .setValue(2)
                                .setMessage(EVIL_MESSAGE)
                                .setCrossLeverage(List.of(0.1f, 0.9f)));
                alerts.flush();
                models.publish(
                        new ModelPublisher.Version(
                                EVIL_ID, 1, EVIL_ARCH, 8, 16, 4, Normalisation.NONE, Map.of()),
                        new byte[] {1, 2, 3});
            }
            try (DashboardFeed feed = new DashboardFeed(kafka, topics).start();
                    DashboardServer server =
                            DashboardServer.start(MetricsOptions.LOOPBACK, 0, feed, null, TOKEN)) {
                String base = "http://127.0.0.1:" + server.port() + "/";
                assertThat(status(base + "api/state", null)).isEqualTo(401);
                assertThat(status(base, null)).isEqualTo(401);
                assertThat(status(base + "api/state", "wrong-" + TOKEN)).isEqualTo(401);
                assertThat(status(base + "api/state", TOKEN)).isEqualTo(200);

                ChromeDriver browser = HeadlessChromium.open(1200, 900);
                try {
                    browser.get(base + "?token=" + TOKEN);
                    JavascriptExecutor js = browser;
                    HeadlessChromium.awaitText(
                            browser, "alertTable", EVIL_MESSAGE, Duration.ofSeconds(60));
                    assertThat(browser.getCurrentUrl())
                            .as("the token left the address bar for a cookie")
                            .doesNotContain(TOKEN);
                    assertThat(browser.findElement(By.id("models")).getText()).contains(EVIL_ID);
                    assertThat(browser.findElement(By.id("alertTable")).getText())
                            .contains(EVIL_ID);
                    assertThat(browser.findElements(By.cssSelector("#alertTable img, #models img")))
                            .as("no element was made from topic data")
                            .isEmpty();
                    assertThat(js.executeScript("return window.__xss === undefined"))
                            .as("no script from topic data ran")
                            .isEqualTo(true);
                } finally {
                    browser.quit();
                }
            }
        }
    }

    @Test
    void theDashboardAndMetricsListenOnLoopbackUnlessTold() throws Exception {
        try (DashboardFeed feed =
                        new DashboardFeed(KafkaConnection.of("127.0.0.1:1"), Topics.defaults());
                DashboardServer server =
                        DashboardServer.start(DashboardOptions.DEFAULT_HTTP_HOST, 0, feed, null);
                MetricsOptions.Endpoint endpoint = MetricsOptions.serve(0)) {
            assertThat(status("http://127.0.0.1:" + server.port() + "/api/state", null))
                    .isEqualTo(200);
            InetAddress outside = nonLoopbackAddress();
            if (outside != null) {
                for (int port : new int[] {server.port(), endpoint.port()}) {
                    assertThatThrownBy(
                                    () -> {
                                        try (Socket s = new Socket()) {
                                            s.connect(new InetSocketAddress(outside, port), 2000);
                                        }
                                    })
                            .as("port %d is not reachable on %s", port, outside)
                            .isInstanceOf(java.io.IOException.class);
                }
            }
        }
    }

    private static InetAddress nonLoopbackAddress() throws Exception {
        for (NetworkInterface i : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!i.isUp() || i.isLoopback()) continue;
            for (InetAddress a : Collections.list(i.getInetAddresses()))
                if (a instanceof Inet4Address) return a;
        }
        return null;
    }

    private static int status(String url, String token) throws Exception {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setInstanceFollowRedirects(false);
        if (token != null) c.setRequestProperty("Authorization", "Bearer " + token);
        try {
            return c.getResponseCode();
        } finally {
            c.disconnect();
        }
    }
}
