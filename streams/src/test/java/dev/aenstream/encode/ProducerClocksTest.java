package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.Topics;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * Statistics windows follow the encoder's clock, so a producer whose clock runs an hour fast cannot
 * close every other producer's windows. On main windows were keyed by the records' timestamps: the
 * fast producer's record moved the merge's stream time an hour on, and the partials of the
 * producers with true clocks were dropped as late, without a word: the feature-stats topic counted
 * 4 of the 12 tokens encoded.
 */
class ProducerClocksTest {
    private static final int N = 8;
    private static final int D = 16;
    private static final int ROWS = 4;

    @Test
    void aFastProducerClockClosesNoOtherProducersWindows() throws Exception {
        Topics topics = Topics.defaults();
        SaeRegistry registry = new SaeRegistry();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "clocks-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        MonitorConfig monitor =
                MonitorConfig.defaults().toBuilder().set(MonitorConfig.WINDOW_MS, 1_000L).build();
        Instant now = Instant.parse("2026-12-05T08:00:00Z");
        try (SaeEncoder encoder =
                        SaeEncoder.open(
                                SaeParameters.initialise(N, D, 2),
                                new EncoderSpec(D, false),
                                Device.CPU,
                                1);
                TopologyTestDriver driver =
                        new TopologyTestDriver(
                                EncodeTopology.build(topics, registry, new EncodeStats(), monitor),
                                props,
                                now)) {
            registry.put(new ServingSae("s", 1, encoder, "test"));
            TestInputTopic<byte[], byte[]> in =
                    driver.createInputTopic(
                            topics.activations(),
                            new ByteArraySerializer(),
                            new ByteArraySerializer());
            in.pipeInput(key("fast"), record("fast"), now.plus(Duration.ofHours(1)));
            driver.advanceWallClockTime(Duration.ofSeconds(2));
            in.pipeInput(key("a"), record("a"), now.plusSeconds(2));
            driver.advanceWallClockTime(Duration.ofSeconds(2));
            in.pipeInput(key("b"), record("b"), now.plusSeconds(4));
            driver.advanceWallClockTime(Duration.ofSeconds(5));

            Map<String, FeatureStats> windows = new HashMap<>();
            driver.createOutputTopic(
                            topics.featureStats(),
                            new StringDeserializer(),
                            new AvroSerde<>(FeatureStats.class))
                    .readKeyValuesToList()
                    .forEach(kv -> windows.put(kv.key, kv.value));
            assertThat(windows.values().stream().mapToLong(FeatureStats::getTokens).sum())
                    .as("tokens the feature-stats topic counts")
                    .isEqualTo(3L * ROWS);
        }
    }

    private static byte[] key(String producer) {
        return (producer + "/0").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] record(String producer) {
        SplittableRandom random = new SplittableRandom(producer.hashCode());
        float[] x = new float[ROWS * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        return new AvroSerde<>(ActivationBatch.class)
                .toBytes(BadRecords.batch(x, ROWS, N, producer, 0));
    }
}
