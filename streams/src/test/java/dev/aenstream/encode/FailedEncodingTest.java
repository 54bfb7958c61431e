package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.Topics;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

/**
 * A failure that is not the record's fault (here an SAE whose ONNX session was closed under it, as
 * a failing device or an exhausted allocator would) fails the task, so that the record is tried
 * again, instead of setting a good record aside as a dead letter; tried again with the SAE mended,
 * it comes out as codes and nothing else. On main such a record became a PROCESSING_ERROR dead
 * letter at once.
 */
class FailedEncodingTest {
    private static final int N = 16;
    private static final int D = 32;
    private final Topics topics = Topics.defaults();
    private final SaeParameters params = SaeParameters.initialise(N, D, 3);

    @Test
    void aFailureNotOfTheRecordFailsTheTaskAndTheRecordIsEncodedWhenTriedAgain() throws Exception {
        SaeRegistry registry = new SaeRegistry();
        SaeEncoder broken = SaeEncoder.open(params, new EncoderSpec(D, false), Device.CPU, 1);
        broken.close();
        registry.put(new ServingSae("s", 1, broken, "test"));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "failed-encoding-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        EncodeRetries retries = new EncodeRetries(0);
        try (SaeEncoder mended = SaeEncoder.open(params, new EncoderSpec(D, false), Device.CPU, 1);
                TopologyTestDriver driver =
                        new TopologyTestDriver(
                                EncodeTopology.build(
                                        topics,
                                        registry,
                                        new EncodeStats(),
                                        MonitorConfig.defaults(),
                                        RecordLimits.defaults(),
                                        retries,
                                        skipped -> {}),
                                props)) {
            TestInputTopic<byte[], byte[]> in =
                    driver.createInputTopic(
                            topics.activations(),
                            new ByteArraySerializer(),
                            new ByteArraySerializer());
            TestOutputTopic<byte[], FeatureCodes> codes =
                    driver.createOutputTopic(
                            topics.codes(),
                            new ByteArrayDeserializer(),
                            new AvroSerde<>(FeatureCodes.class));
            TestOutputTopic<byte[], DeadLetter> dlq =
                    driver.createOutputTopic(
                            topics.dlq(),
                            new ByteArrayDeserializer(),
                            new AvroSerde<>(DeadLetter.class));
            byte[] key = "k".getBytes(StandardCharsets.UTF_8);
            byte[] value = record();

            assertThatThrownBy(() -> in.pipeInput(key, value))
                    .isInstanceOf(StreamsException.class)
                    .hasStackTraceContaining("will be tried again");
            assertThat(dlq.isEmpty()).as("a good record is not a dead letter").isTrue();
            assertThat(codes.isEmpty()).isTrue();

            registry.put(new ServingSae("s", 1, mended, "test"));
            in.pipeInput(key, value);
            assertThat(codes.readValuesToList()).hasSize(1);
            assertThat(dlq.isEmpty()).isTrue();
        }
    }

    @Test
    void aRecordThatFailsEveryAttemptBecomesADeadLetterAfterTheLast() {
        EncodeRetries retries = new EncodeRetries(0);
        String at = "aen.activations-0@7";
        for (int attempt = 1; attempt < EncodeRetries.ATTEMPTS; attempt++)
            assertThat(retries.failed(at)).as("attempt %d is tried again", attempt).isTrue();
        assertThat(retries.failed(at)).as("the last attempt is not").isFalse();
        // Another record starts afresh; a record that succeeds is forgotten.
        assertThat(retries.failed("aen.activations-0@8")).isTrue();
        retries.succeeded("aen.activations-0@8");
        for (int attempt = 1; attempt < EncodeRetries.ATTEMPTS; attempt++)
            assertThat(retries.failed("aen.activations-0@8")).isTrue();
    }

    private byte[] record() {
        SplittableRandom random = new SplittableRandom(1);
        float[] x = new float[4 * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        ActivationBatch batch = BadRecords.batch(x, 4, N, "p", 0);
        return new AvroSerde<>(ActivationBatch.class).toBytes(batch);
    }
}
