package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.Topics;
import dev.aenstream.sae.ReferenceEncoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

class EncodeTopologyTest {
    private static final int N = 24;
    private static final int D = 40;

    @Test
    void goodRowsBecomeCodesAndEveryBadRecordADeadLetterWithItsReason() throws Exception {
        Topics topics = Topics.defaults();
        SaeParameters params = SaeParameters.initialise(N, D, 3);
        SaeRegistry registry = new SaeRegistry();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "encode-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try (SaeEncoder encoder =
                        SaeEncoder.open(params, new EncoderSpec(D, false), Device.CPU, 1);
                TopologyTestDriver driver =
                        new TopologyTestDriver(
                                EncodeTopology.build(topics, registry, new EncodeStats(), null),
                                props)) {
            registry.put(new ServingSae("sae-a", 1, encoder, "test"));
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
            AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
            SplittableRandom random = new SplittableRandom(5);
            Map<String, Map.Entry<byte[], DeadLetterReason>> bad = BadRecords.of(N);

            int goodRecords = 0;
            float[][] sent = new float[bad.size() + 1][];
            for (Map.Entry<String, Map.Entry<byte[], DeadLetterReason>> b : bad.entrySet()) {
                float[] x = new float[7 * N];
                for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
                sent[goodRecords] = x;
                in.pipeInput(
                        ("good/" + goodRecords).getBytes(StandardCharsets.UTF_8),
                        serde.toBytes(BadRecords.batch(x, 7, N, "good", goodRecords)));
                goodRecords++;
                in.pipeInput(b.getKey().getBytes(StandardCharsets.UTF_8), b.getValue().getKey());
            }
            in.pipeInput("bad/null".getBytes(StandardCharsets.UTF_8), (byte[]) null);

            List<FeatureCodes> out = codes.readValuesToList();
            assertThat(out).hasSize(goodRecords);
            for (FeatureCodes c : out) {
                assertThat(c.getSaeId()).isEqualTo("sae-a");
                assertThat(c.getVersion()).isEqualTo(1);
                SparseCodes sparse = CodesRecords.fromRecord(c);
                float[] x = sent[(int) c.getSequence()];
                for (int r = 0; r < sparse.rows(); r++) {
                    double[] expected = ReferenceEncoder.encode(params, x, r * N, false);
                    float[] got = sparse.denseRow(r);
                    for (int j = 0; j < D; j++)
                        assertThat((double) got[j])
                                .isCloseTo(expected[j], offset(1e-5 * Math.max(1, expected[j])));
                }
            }

            var letters = dlq.readKeyValuesToList();
            assertThat(letters).hasSize(bad.size() + 1);
            for (var kv : letters) {
                String key = new String(kv.key, StandardCharsets.UTF_8);
                DeadLetter letter = kv.value;
                assertThat(letter.getSourceTopic()).isEqualTo(topics.activations());
                assertThat(letter.getDetail()).isNotBlank();
                if (key.equals("bad/null")) {
                    assertThat(letter.getReason()).isEqualTo(DeadLetterReason.MALFORMED_BYTES);
                    continue;
                }
                assertThat(letter.getReason())
                        .as(key + ": " + letter.getDetail())
                        .isEqualTo(bad.get(key).getValue());
                assertThat(letter.getValue().array()).isEqualTo(bad.get(key).getKey());
            }
        }
    }
}
