package dev.aenstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.ModelHead;
import dev.aenstream.avro.SpliceFigures;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeStats;
import dev.aenstream.encode.EncodeTopology;
import dev.aenstream.encode.SaeRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * A spliced score below the floor alerts once per version, and only after enough tokens; the newest
 * figures are gauges.
 */
class SpliceFiguresWatchTest {
    private final MonitorConfig config =
            MonitorConfig.builder()
                    .set(MonitorConfig.SPLICE_SCORE_FLOOR, 0.8)
                    .set(MonitorConfig.SPLICE_MIN_TOKENS, 1_000L)
                    .build();

    @Test
    void aLowScoreAlertsOncePerVersionAfterEnoughTokens() {
        assertThat(check(3, 500, 0.2, 0)).as("too few tokens to judge").isNull();
        assertThat(check(3, 5_000, 0.9, 0)).as("above the floor").isNull();

        Alert alert = check(3, 5_000, 0.42, 0).setTimestampMs(0).build();
        assertThat(alert.getAlertType()).isEqualTo(AlertType.SPLICED_SCORE_LOW);
        assertThat(alert.getValue()).isEqualTo(0.42);
        assertThat(alert.getThreshold()).isEqualTo(0.8);
        assertThat(alert.getMessage())
                .contains("ce_loss_score is 0.420 on 5,000 tokens")
                .contains("below the floor 0.800");

        assertThat(check(3, 9_000, 0.3, 3)).as("that version was alerted").isNull();
        assertThat(check(4, 9_000, 0.3, 3)).as("a new version is judged anew").isNotNull();
    }

    @Test
    void anEmbeddingModelIsJudgedByItsEmbeddingScore() {
        SpliceFigures f = figures(2, 5_000, ModelHead.EMBEDDING, "embedding_score", 0.1);
        Alert.Builder alert = SpliceFiguresWatch.check(f, 0.1, 0, config);
        assertThat(alert.getMessage()).contains("embedding_score is 0.100");
    }

    @Test
    void theEncodeTopologyAlertsOnceAndExportsTheNewestFiguresAsGauges() {
        Topics topics = Topics.defaults();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "splice-watch-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Metrics.addRegistry(registry);
        try (TopologyTestDriver driver =
                new TopologyTestDriver(
                        EncodeTopology.build(topics, new SaeRegistry(), new EncodeStats(), config),
                        props)) {
            var in =
                    driver.createInputTopic(
                            topics.spliceFigures(),
                            new ByteArraySerializer(),
                            new ByteArraySerializer());
            var out =
                    driver.createOutputTopic(
                            topics.alerts(),
                            new StringDeserializer(),
                            new AvroSerde<>(Alert.class));
            AvroSerde<SpliceFigures> serde = new AvroSerde<>(SpliceFigures.class);
            // Unreadable: a dead letter (MonitorInputsTest), and the watch goes on.
            in.pipeInput(new byte[0], new byte[] {1, 2, 3});
            for (double score : new double[] {0.9, 0.4, 0.3}) {
                SpliceFigures f = figures(7, 5_000, ModelHead.LOGITS, "ce_loss_score", score);
                in.pipeInput("aen".getBytes(), serde.toBytes(f));
            }
            List<Alert> alerts = out.readValuesToList();
            assertThat(alerts)
                    .extracting(Alert::getAlertType)
                    .containsExactly(AlertType.SPLICED_SCORE_LOW);
            assertThat(alerts.get(0).getValue()).isEqualTo(0.4);
            assertThat(registry.get("aen.splice.score").tag("sae_id", "aen").gauge().value())
                    .isEqualTo(0.3);
            assertThat(registry.get("aen.splice.version").tag("sae_id", "aen").gauge().value())
                    .isEqualTo(7);
        } finally {
            Metrics.removeRegistry(registry);
        }
    }

    private Alert.Builder check(long version, long tokens, double score, long alerted) {
        return SpliceFiguresWatch.check(
                figures(version, tokens, ModelHead.LOGITS, "ce_loss_score", score),
                score,
                alerted,
                config);
    }

    private static SpliceFigures figures(
            long version, long tokens, ModelHead head, String name, double score) {
        return SpliceFigures.newBuilder()
                .setSaeId("aen")
                .setVersion(version)
                .setSourceModel("gpt2")
                .setHookPoint("/h.6/Add_1_output_0")
                .setProducerId("p")
                .setHead(head)
                .setSequences(10)
                .setTokens(tokens)
                .setFigures(Map.of(name, score))
                .setTimestampMs(0)
                .build();
    }
}
