package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.Topics;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * Records that used to wedge or mislead the encoder: a small record declaring a huge batch, a dead
 * letter or codes over the topic's record limit, an SAE whose graph does not fit its metadata. Each
 * is answered and the stream goes on.
 */
class PoisonRecordsTest {
    private static final int N = 24;
    private static final int D = 40;
    private static final RecordLimits SMALL =
            new RecordLimits(1L << 20, RecordLimits.MIN_RECORD_BYTES);

    private final Topics topics = Topics.defaults();
    private final AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
    private final SaeParameters params = SaeParameters.initialise(N, D, 3);

    @Test
    void aSmallRecordDeclaringAHugeBatchIsRefusedBeforeAnythingIsReserved() throws Exception {
        try (var run = new Run(SMALL, good())) {
            ActivationBatch lying = BadRecords.batch(new float[N], 1, N, "liar", 0);
            lying.setRows(1_000_000); // 24 M values over the limit of 1 M
            run.send("liar/huge", serde.toBytes(lying));
            lying.setRows(40_000); // under the limit, but the payload holds one row
            run.send("liar/short", serde.toBytes(lying));
            run.send("good", serde.toBytes(BadRecords.batch(rows(3, 1), 3, N, "good", 0)));

            List<DeadLetter> letters = run.dlq.readValuesToList();
            assertThat(letters)
                    .extracting(DeadLetter::getReason)
                    .containsExactly(DeadLetterReason.TOO_LARGE, DeadLetterReason.MALFORMED_BYTES);
            assertThat(letters.get(0).getDetail())
                    .contains("1000000 x 24")
                    .contains("--max-record-values");
            assertThat(letters.get(1).getDetail()).contains("payload has 96 bytes");
            assertThat(run.codes.readValuesToList()).as("the stream goes on").hasSize(1);
        }
    }

    @Test
    void aDeadLetterOverTheRecordLimitCarriesAReferenceToItsInput() throws Exception {
        try (var run = new Run(SMALL, good())) {
            byte[] junk = new byte[3 * RecordLimits.MIN_RECORD_BYTES];
            new Random(7).nextBytes(junk);
            run.send("junk", junk);
            byte[] small = new byte[100];
            run.send("small-junk", small);

            List<DeadLetter> letters = run.dlq.readValuesToList();
            assertThat(letters).hasSize(2);
            DeadLetter big = letters.get(0);
            assertThat(big.getValueTruncated()).isTrue();
            assertThat(big.getValueSize()).isEqualTo(junk.length);
            assertThat(bytes(big.getValue()))
                    .hasSize(DeadLetters.KEPT_PREFIX_BYTES)
                    .isEqualTo(java.util.Arrays.copyOf(junk, DeadLetters.KEPT_PREFIX_BYTES));
            assertThat(bytes(big.getValueSha256()))
                    .isEqualTo(java.security.MessageDigest.getInstance("SHA-256").digest(junk));
            assertThat(big.getSourceTopic()).isEqualTo(topics.activations());
            assertThat(big.getSourceOffset()).isZero();
            assertThat(new AvroSerde<>(DeadLetter.class).toBytes(big).length)
                    .isLessThan(SMALL.maxRecordBytes());
            DeadLetter whole = letters.get(1);
            assertThat(whole.getValueTruncated()).isFalse();
            assertThat(bytes(whole.getValue())).isEqualTo(small);
        }
    }

    @Test
    void codesOverTheRecordLimitTravelInPartsThatJoinToTheBatchsCodes() throws Exception {
        int rows = 2_000;
        float[] x = rows(rows, 11);
        try (SaeEncoder reference =
                        SaeEncoder.open(params, new EncoderSpec(D, false), Device.CPU, 1);
                var run = new Run(SMALL, good())) {
            run.send("big", serde.toBytes(BadRecords.batch(x, rows, N, "big", 0)));
            List<FeatureCodes> parts = run.codes.readValuesToList();
            assertThat(parts.size()).as("parts").isGreaterThan(1);
            AvroSerde<FeatureCodes> codesSerde = new AvroSerde<>(FeatureCodes.class);
            for (FeatureCodes p : parts) {
                assertThat(p.getParts()).isEqualTo(parts.size());
                assertThat(codesSerde.toBytes(p).length).isLessThan(SMALL.maxRecordBytes());
            }
            assertThat(parts)
                    .extracting(FeatureCodes::getPart)
                    .containsExactlyElementsOf(
                            java.util.stream.IntStream.range(0, parts.size()).boxed().toList());
            List<FeatureCodes> shuffled = new java.util.ArrayList<>(parts);
            java.util.Collections.reverse(shuffled);
            SparseCodes joined = CodesRecords.join(shuffled);
            SparseCodes expected = reference.encode(direct(x), rows);
            assertThat(joined.rows()).isEqualTo(rows);
            assertThat(joined.rowOffsets()).isEqualTo(expected.rowOffsets());
            assertThat(joined.indices()).isEqualTo(expected.indices());
            assertThat(joined.values()).isEqualTo(expected.values());
            assertThat(joined.activeCounts()).isEqualTo(expected.activeCounts());
            assertThat(run.dlq.readValuesToList()).isEmpty();
        }
    }

    @Test
    void aGraphThatDoesNotFitItsMetadataYieldsOneDeadLetterAndNoCodes() throws Exception {
        byte[] graph =
                EncoderGraph.build(params, new EncoderSpec(D, false), "sae_encoder").toByteArray();
        // Declared k_max 8, but the graph keeps all 40 features per row.
        SaeEncoder misfit = SaeEncoder.open(graph, N, D, 8, Device.CPU, 1);
        assertThatThrownBy(misfit::check)
                .as("the model follower's check, before a version is served")
                .isInstanceOf(SaeEncoder.ShapeMismatch.class)
                .hasMessageContaining("k_max=8");
        try (misfit;
                var run =
                        new Run(
                                RecordLimits.defaults(),
                                good(),
                                new ServingSae("misfit", 1, misfit, "test"))) {
            run.send("one", serde.toBytes(BadRecords.batch(rows(4, 3), 4, N, "one", 0)));
            assertThat(run.codes.readValuesToList())
                    .as("not the good SAE's codes either: all or nothing")
                    .isEmpty();
            List<DeadLetter> letters = run.dlq.readValuesToList();
            assertThat(letters).hasSize(1);
            assertThat(letters.get(0).getReason()).isEqualTo(DeadLetterReason.SHAPE_MISMATCH);
            assertThat(letters.get(0).getDetail()).contains("misfit");
        }
    }

    private ServingSae good() throws Exception {
        return new ServingSae(
                "good",
                1,
                SaeEncoder.open(params, new EncoderSpec(D, false), Device.CPU, 1),
                "test");
    }

    private static float[] rows(int rows, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[rows * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        return x;
    }

    private static FloatBuffer direct(float[] x) {
        FloatBuffer b =
                ByteBuffer.allocateDirect(x.length * 4)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        b.put(x).rewind();
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** A topology test driver around the encoder with {@code saes} served. */
    private final class Run implements AutoCloseable {
        final TopologyTestDriver driver;
        final TestInputTopic<byte[], byte[]> in;
        final TestOutputTopic<byte[], FeatureCodes> codes;
        final TestOutputTopic<byte[], DeadLetter> dlq;
        final List<ServingSae> saes;

        Run(RecordLimits limits, ServingSae... saes) {
            SaeRegistry registry = new SaeRegistry();
            for (ServingSae s : saes) registry.put(s);
            this.saes = List.of(saes);
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "poison-test");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
            driver =
                    new TopologyTestDriver(
                            EncodeTopology.build(topics, registry, new EncodeStats(), null, limits),
                            props);
            in =
                    driver.createInputTopic(
                            topics.activations(),
                            new ByteArraySerializer(),
                            new ByteArraySerializer());
            codes =
                    driver.createOutputTopic(
                            topics.codes(),
                            new ByteArrayDeserializer(),
                            new AvroSerde<>(FeatureCodes.class));
            dlq =
                    driver.createOutputTopic(
                            topics.dlq(),
                            new ByteArrayDeserializer(),
                            new AvroSerde<>(DeadLetter.class));
        }

        void send(String key, byte[] value) {
            in.pipeInput(key.getBytes(StandardCharsets.UTF_8), value);
        }

        @Override
        public void close() throws Exception {
            driver.close();
            for (ServingSae s : saes) if (!s.saeId().equals("misfit")) s.encoder().close();
        }
    }
}
