package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureContext;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Severity;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.WatchCondition;
import dev.aenstream.avro.WatchHit;
import dev.aenstream.avro.WatchRule;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.cli.options.MetricsOptions;
import dev.aenstream.dashboard.DashboardFeed;
import dev.aenstream.dashboard.DashboardServer;
import dev.aenstream.monitor.AlertPublisher;
import dev.aenstream.monitor.AlertSink;
import dev.aenstream.monitor.TopContexts;
import dev.aenstream.testkit.ExternalTools;
import dev.aenstream.topics.Producers;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The dashboard's watch page in Chromium, fed from a real broker: the rules as the watch-rules
 * topic holds them (a removed one gone), a watch alert with its token highlighted in its text, a
 * drift alert naming the features that moved with their labels and their top contexts, and the
 * drift chart; topic data stays text; a record that is no rule is not shown, and the main page
 * counts it as skipped. A screenshot is kept in target/watch-page.png.
 */
class WatchPageBrowserIT {
    private static final String EVIL = "<img src=x onerror=\"window.__xss='label'\">";

    @Test
    void theWatchPageShowsRulesHitsWithTheirTextAndDriftWithLabelsAndContexts() throws Exception {
        ExternalTools.requireChromium();
        Topics topics = Topics.defaults();
        try (EmbeddedBroker broker = EmbeddedBroker.start(0, null)) {
            KafkaConnection kafka = broker.adminConnection();
            try (Admin admin = Admin.create(kafka.client())) {
                TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker());
            }
            publish(kafka, topics);
            try (DashboardFeed feed = new DashboardFeed(kafka, topics).start();
                    DashboardServer server =
                            DashboardServer.start(MetricsOptions.LOOPBACK, 0, feed, null)) {
                ChromeDriver browser = HeadlessChromium.open(1400, 1000);
                try {
                    browser.get("http://127.0.0.1:" + server.port() + "/watch.html");
                    HeadlessChromium.awaitText(
                            browser, "drift", "the old lighthouse keeper", Duration.ofSeconds(60));
                    String rules = browser.findElement(By.id("rules")).getText();
                    assertThat(rules)
                            .contains("lighthouses")
                            .contains("activation > 2")
                            .contains("feature 5 of v1")
                            .contains(EVIL)
                            .doesNotContain("removed-rule")
                            .doesNotContain("junk");
                    assertThat(browser.findElement(By.cssSelector("#hits mark")).getText())
                            .isEqualTo("lighthouse");
                    assertThat(browser.findElement(By.id("hits")).getText())
                            .contains("the lighthouse at dusk")
                            .contains("doc-7");
                    String drift = browser.findElement(By.id("drift")).getText();
                    assertThat(drift).contains("lighthouses").contains("0.00100 → 0.0200");
                    assertThat(browser.findElements(By.cssSelector("#driftChart canvas")))
                            .isNotEmpty();
                    assertThat(browser.findElements(By.cssSelector("img")))
                            .as("no element was made from topic data")
                            .isEmpty();
                    assertThat(
                                    ((JavascriptExecutor) browser)
                                            .executeScript("return window.__xss === undefined"))
                            .isEqualTo(true);
                    Path shot = Path.of("target", "watch-page.png");
                    Files.write(
                            shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
                    browser.get("http://127.0.0.1:" + server.port() + "/");
                    HeadlessChromium.awaitText(
                            browser,
                            "status",
                            "(1 unreadable, skipped: see the" + " log)",
                            Duration.ofSeconds(30));
                } finally {
                    browser.quit();
                }
            }
        }
    }

    private static void publish(KafkaConnection kafka, Topics topics) throws Exception {
        AvroSerde<WatchRule> rules = new AvroSerde<>(WatchRule.class);
        WatchRule moved =
                WatchRule.newBuilder()
                        .setRuleId("lighthouses")
                        .setSaeId("aen")
                        .setFeature(11)
                        .setVersion(3)
                        .setLabel("lighthouses")
                        .setCondition(WatchCondition.ACTIVATION_ABOVE)
                        .setThreshold(2)
                        .setDeclaredFeature(5)
                        .setDeclaredVersion(1)
                        .build();
        WatchRule evil =
                WatchRule.newBuilder(moved).setRuleId("evil").setLabel(EVIL).setFeature(2).build();
        WatchRule removed = WatchRule.newBuilder(moved).setRuleId("removed-rule").build();
        try (var producer = Producers.idempotent(kafka, "watch-page")) {
            for (WatchRule r : List.of(moved, evil, removed))
                producer.send(record(topics.watchRules(), r.getRuleId(), rules.toBytes(r))).get();
            producer.send(record(topics.watchRules(), "removed-rule", null)).get();
            // Bytes that are no rule: not shown, and counted on the main page as skipped.
            producer.send(record(topics.watchRules(), "junk", new byte[] {1, 2, 3})).get();
            FeatureContexts contexts =
                    FeatureContexts.newBuilder()
                            .setSaeId("aen")
                            .setVersion(3)
                            .setBlock(0)
                            .setBlockSize(TopContexts.BLOCK_SIZE)
                            .setK(1)
                            .setContexts(
                                    List.of(
                                            FeatureContext.newBuilder()
                                                    .setFeature(11)
                                                    .setValue(4.2f)
                                                    .setProducerId("p")
                                                    .setSequence(0)
                                                    .setRow(5)
                                                    .setText("the old lighthouse keeper")
                                                    .setHighlightStart(8)
                                                    .setHighlightEnd(18)
                                                    .build()))
                            .build();
            producer.send(
                            record(
                                    topics.featureContexts(),
                                    "aen/b0",
                                    new AvroSerde<>(FeatureContexts.class).toBytes(contexts)))
                    .get();
        }
        try (AlertPublisher alerts = new AlertPublisher(kafka, topics.alerts())) {
            alerts.send(
                    AlertSink.alert(AlertType.WATCH_ACTIVATION, Severity.INFO, "aen", 3)
                            .setFeatureIds(List.of(11))
                            .setLabels(List.of("lighthouses"))
                            .setValue(4.2)
                            .setThreshold(2)
                            .setMessage("lighthouses: feature 11 of aen v3 fired")
                            .setWatch(
                                    WatchHit.newBuilder()
                                            .setRuleId("lighthouses")
                                            .setLabel("lighthouses")
                                            .setSourceModel("tiny-lm")
                                            .setHookPoint("blocks.0")
                                            .setDocumentId("doc-7")
                                            .setText("the lighthouse at dusk")
                                            .setHighlightStart(4)
                                            .setHighlightEnd(14)
                                            .setActivation(4.2f)
                                            .setSuppressed(3)
                                            .build()));
            alerts.send(
                    AlertSink.alert(AlertType.FEATURE_DRIFT, Severity.WARNING, "aen", 3)
                            .setFeatureIds(List.of(11, 2))
                            .setLabels(List.of("lighthouses", ""))
                            .setReferenceDensities(List.of(0.001, 0.05))
                            .setDensities(List.of(0.02, 0.01))
                            .setDriftScore(0.031)
                            .setValue(40)
                            .setThreshold(12.2)
                            .setMessage("2 features changed density"));
            alerts.flush();
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String key, byte[] value) {
        return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value);
    }
}
