package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.ModelHead;
import dev.aenstream.avro.SpliceFigures;
import dev.aenstream.avro.Topics;
import dev.aenstream.monitor.MonitorConfig;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * What the monitor reads besides the codes (the trainer's facts, the producers' splice figures) is
 * untrusted: a record that does not decode becomes a dead letter with its bytes and where it was
 * read, and the records after it are watched as before.
 */
class MonitorInputsTest {
    private static final byte[] GARBAGE = {1, 2, 3};

    @Test
    void unreadableTrainerFactsAndSpliceFiguresBecomeDeadLettersAndTheWatchGoesOn() {
        Topics topics = Topics.defaults();
        MonitorConfig config =
                MonitorConfig.builder()
                        .set(MonitorConfig.SPLICE_SCORE_FLOOR, 0.8)
                        .set(MonitorConfig.SPLICE_MIN_TOKENS, 1_000L)
                        .build();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "monitor-inputs-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try (TopologyTestDriver driver =
                new TopologyTestDriver(
                        EncodeTopology.build(topics, new SaeRegistry(), new EncodeStats(), config),
                        props)) {
            byte[] key = "aen".getBytes(StandardCharsets.UTF_8);
            for (String topic : List.of(topics.trainerMetrics(), topics.spliceFigures()))
                driver.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer())
                        .pipeInput(key, GARBAGE);
            SpliceFigures low =
                    SpliceFigures.newBuilder()
                            .setSaeId("aen")
                            .setVersion(3)
                            .setSourceModel("gpt2")
                            .setHookPoint("/h.6/Add_1_output_0")
                            .setProducerId("p")
                            .setHead(ModelHead.LOGITS)
                            .setSequences(10)
                            .setTokens(5_000)
                            .setFigures(Map.of("ce_loss_score", 0.4))
                            .setTimestampMs(0)
                            .build();
            driver.createInputTopic(
                            topics.spliceFigures(),
                            new ByteArraySerializer(),
                            new ByteArraySerializer())
                    .pipeInput(key, new AvroSerde<>(SpliceFigures.class).toBytes(low));

            List<DeadLetter> letters =
                    driver.createOutputTopic(
                                    topics.dlq(),
                                    new ByteArrayDeserializer(),
                                    new AvroSerde<>(DeadLetter.class))
                            .readValuesToList();
            assertThat(letters)
                    .extracting(l -> l.getSourceTopic().toString())
                    .containsExactlyInAnyOrder(topics.trainerMetrics(), topics.spliceFigures());
            for (DeadLetter l : letters) {
                assertThat(l.getReason()).isEqualTo(DeadLetterReason.MALFORMED_BYTES);
                assertThat(l.getValue().array()).isEqualTo(GARBAGE);
                assertThat(l.getKey().array()).isEqualTo(key);
                assertThat(l.getApplication().toString()).isEqualTo("monitor");
                assertThat(l.getSourceOffset()).isZero();
                assertThat(l.getDetail().toString())
                        .as("names what the record should have been")
                        .containsAnyOf("TrainerMetrics", "SpliceFigures");
            }
            assertThat(
                            driver.createOutputTopic(
                                            topics.alerts(),
                                            new StringDeserializer(),
                                            new AvroSerde<>(Alert.class))
                                    .readValuesToList())
                    .extracting(Alert::getAlertType)
                    .containsExactly(AlertType.SPLICED_SCORE_LOW);
        }
    }
}
