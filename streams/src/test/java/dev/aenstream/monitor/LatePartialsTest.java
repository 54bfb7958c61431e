package dev.aenstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.SpliceFigures;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.sae.SparseCodes;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.junit.jupiter.api.Test;

/**
 * A part of a statistics window that arrives after the window closed (an encoder that was away for
 * longer than the grace period, say) cannot be merged any more, but it is not dropped without a
 * word: the monitor raises STATISTICS_LATE with the tokens the feature-stats topic misses. On main
 * Kafka Streams dropped it silently (a metric nobody read), and the counts were short.
 */
class LatePartialsTest {
    private static final Topics TOPICS = new Topics("t.");
    private static final long WINDOW_MS = 10_000;

    @Test
    void aPartOfAClosedWindowIsCountedAndAlerted() {
        MonitorConfig config =
                MonitorConfig.defaults().toBuilder()
                        .set(MonitorConfig.WINDOW_MS, WINDOW_MS)
                        .build();
        StreamsBuilder builder = new StreamsBuilder();
        AvroSerde<FeatureStats> serde = new AvroSerde<>(FeatureStats.class);
        StatisticsTopology.add(
                builder,
                TOPICS,
                builder.stream("partials", Consumed.with(Serdes.String(), serde)),
                builder.stream(
                        "trainer-facts",
                        Consumed.with(Serdes.ByteArray(), new AvroSerde<>(TrainerMetrics.class))),
                builder.stream(
                        "splice-figures",
                        Consumed.with(Serdes.ByteArray(), new AvroSerde<>(SpliceFigures.class))),
                config);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "late-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
            TestInputTopic<String, FeatureStats> in =
                    driver.createInputTopic("partials", new StringSerializer(), serde.serializer());
            TestOutputTopic<String, Alert> alerts =
                    driver.createOutputTopic(
                            TOPICS.alerts(),
                            new StringDeserializer(),
                            new AvroSerde<>(Alert.class).deserializer());
            TestOutputTopic<String, FeatureStats> stats =
                    driver.createOutputTopic(
                            TOPICS.featureStats(), new StringDeserializer(), serde.deserializer());
            in.pipeInput("s", window(0, 4), 0);
            in.pipeInput("s", window(100_000, 4), 100_000);
            // Window 0 closed at 10 s + 60 s of grace; a part of it with 3 more tokens comes now.
            in.pipeInput("s", window(0, 3), 0);

            List<FeatureStats> merged = stats.readValuesToList();
            assertThat(merged)
                    .filteredOn(s -> s.getWindowStartMs() == 0)
                    .extracting(FeatureStats::getTokens)
                    .containsExactly(4L);
            List<Alert> late =
                    alerts.readValuesToList().stream()
                            .filter(a -> a.getAlertType() == AlertType.STATISTICS_LATE)
                            .toList();
            assertThat(late)
                    .singleElement()
                    .satisfies(
                            a -> {
                                assertThat(a.getSaeId()).isEqualTo("s");
                                assertThat(a.getValue()).isEqualTo(3.0);
                                assertThat(a.getMessage())
                                        .contains("3 tokens")
                                        .contains("--stats-grace-ms");
                            });
        }
    }

    /** A partial of SAE "s" v1 over 2 features: {@code rows} tokens in the window at start. */
    private static FeatureStats window(long start, int rows) {
        FeatureAccumulator acc = new FeatureAccumulator("s", 1, 2, start);
        int[] offsets = new int[rows + 1];
        int[] active = new int[rows];
        for (int r = 0; r < rows; r++) offsets[r + 1] = r + 1;
        java.util.Arrays.fill(active, 1);
        acc.add(new SparseCodes(rows, 2, offsets, new int[rows], filled(rows), active));
        return acc.toRecord(start + WINDOW_MS);
    }

    private static float[] filled(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }
}
