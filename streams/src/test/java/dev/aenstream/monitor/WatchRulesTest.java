package dev.aenstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.LittleEndian;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.TextSpan;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.WatchCondition;
import dev.aenstream.avro.WatchRule;
import dev.aenstream.encode.EncodeStats;
import dev.aenstream.encode.EncodeTopology;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * Watch rules through the whole encode topology: a rule on the feature that reads a planted concept
 * alerts with the token's text, once per document; after a swap to a version whose lineage moved
 * that feature to another id, the same rule fires on the same concept under the new id and is
 * written back moved; a rule lineage cannot follow is reported lost; a density rule alerts when its
 * feature's density crosses the bound.
 */
class WatchRulesTest {
    private static final int N = 16;
    private static final int D = 16;
    private static final int ROWS = 100;
    private static final int CONCEPT = 5;
    private static final int MOVED_TO = 11;
    private static final int VANISHES = 7;

    private final Topics topics = Topics.defaults();
    private final AvroSerde<ActivationBatch> batches = new AvroSerde<>(ActivationBatch.class);
    private final AvroSerde<WatchRule> rules = new AvroSerde<>(WatchRule.class);
    private final SplittableRandom random = new SplittableRandom(9);
    private long sequence;

    /** Feature CONCEPT fires only on rows carrying the concept (x[0] > 5); the rest never fire. */
    private static SaeParameters sae(int conceptFeature) {
        SaeParameters p = SaeParameters.initialise(N, D, 1);
        Arrays.fill(p.wEnc(), 0f);
        Arrays.fill(p.bEnc(), -100f);
        p.wEnc()[conceptFeature * N] = 1f;
        p.bEnc()[conceptFeature] = -5f;
        return p;
    }

    /** One document per batch; rows in {@code conceptRows} carry the concept. */
    private ActivationBatch batch(List<Integer> conceptRows) {
        float[] x = new float[ROWS * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        StringBuilder text = new StringBuilder();
        int[] offsets = new int[2 * ROWS];
        for (int r = 0; r < ROWS; r++) {
            String token = conceptRows.contains(r) ? "lighthouse" : "w" + r;
            if (conceptRows.contains(r)) x[r * N] += 10;
            offsets[2 * r] = text.length();
            text.append(token);
            offsets[2 * r + 1] = text.length();
            text.append(' ');
        }
        long s = sequence++;
        return ActivationBatch.newBuilder()
                .setSourceModel("tiny-lm")
                .setHookPoint("blocks.0.hook_resid_post")
                .setRows(ROWS)
                .setN(N)
                .setDtype(Dtype.FLOAT32)
                .setNormalisation(Normalisation.NONE)
                .setProducerId("p")
                .setSequence(s)
                .setPayload(Matrices.encode(x, 0, ROWS, N, Dtype.FLOAT32))
                .setTextOffsets(LittleEndian.ints(offsets))
                .setDocuments(
                        List.of(
                                TextSpan.newBuilder()
                                        .setDocumentId("doc-" + s)
                                        .setStart(0)
                                        .setText(text.toString())
                                        .build()))
                .setRowDocuments(LittleEndian.ints(new int[ROWS]))
                .setTimestampMs(0)
                .build();
    }

    private static WatchRule rule(
            String id, int feature, WatchCondition condition, double threshold) {
        return WatchRule.newBuilder()
                .setRuleId(id)
                .setSaeId("aen")
                .setFeature(feature)
                .setVersion(1)
                .setLabel(id.equals("lighthouses") ? "lighthouses" : "")
                .setCondition(condition)
                .setThreshold(threshold)
                .setWindowTokens(1_000)
                .setMaxAlertsPerMinute(3)
                .build();
    }

    @Test
    void aRuleFollowsItsFeatureAcrossAVersionSwapAndFiresOnTheSameConcept() throws Exception {
        SaeRegistry registry = new SaeRegistry();
        try (SaeEncoder v1 =
                        SaeEncoder.open(sae(CONCEPT), new EncoderSpec(D, false), Device.CPU, 1);
                SaeEncoder v2 =
                        SaeEncoder.open(sae(MOVED_TO), new EncoderSpec(D, false), Device.CPU, 1);
                TopologyTestDriver driver = driver(registry, "watch-test")) {
            TestInputTopic<String, byte[]> ruleInput =
                    driver.createInputTopic(
                            topics.watchRules(), new StringSerializer(), new ByteArraySerializer());
            TestInputTopic<byte[], byte[]> in =
                    driver.createInputTopic(
                            topics.activations(),
                            new ByteArraySerializer(),
                            new ByteArraySerializer());
            TestOutputTopic<String, Alert> alerts =
                    driver.createOutputTopic(
                            topics.alerts(),
                            new StringDeserializer(),
                            new AvroSerde<>(Alert.class));
            TestOutputTopic<String, WatchRule> moved =
                    driver.createOutputTopic(topics.watchRules(), new StringDeserializer(), rules);
            for (WatchRule r :
                    List.of(
                            rule("lighthouses", CONCEPT, WatchCondition.ACTIVATION_ABOVE, 2.0),
                            rule("dense", CONCEPT, WatchCondition.DENSITY_ABOVE, 0.01),
                            rule("vanishing", VANISHES, WatchCondition.ACTIVATION_ABOVE, 2.0)))
                ruleInput.pipeInput(r.getRuleId(), rules.toBytes(r));
            registry.put(new ServingSae("aen", 1, v1, "concept on feature 5"));

            long ts = 0;
            // Two documents with the concept on three rows each, then one without.
            in.pipeInput(new byte[0], batches.toBytes(batch(List.of(3, 40, 77))), ts += 100);
            in.pipeInput(new byte[0], batches.toBytes(batch(List.of(10, 11, 12))), ts += 100);
            in.pipeInput(new byte[0], batches.toBytes(batch(List.of())), ts += 100);
            List<Alert> before = watch(alerts.readValuesToList(), AlertType.WATCH_ACTIVATION);
            assertThat(before).hasSize(2);
            Alert first = before.get(0);
            assertThat(first.getFeatureIds()).containsExactly(CONCEPT);
            assertThat(first.getVersion()).isEqualTo(1);
            assertThat(first.getWatch().getDocumentId()).isEqualTo("doc-0");
            assertThat(first.getWatch().getSourceModel()).isEqualTo("tiny-lm");
            assertThat(first.getWatch().getHookPoint()).isEqualTo("blocks.0.hook_resid_post");
            String text = first.getWatch().getText();
            assertThat(
                            text.substring(
                                    first.getWatch().getHighlightStart(),
                                    first.getWatch().getHighlightEnd()))
                    .isEqualTo("lighthouse");
            assertThat(first.getWatch().getActivation()).isGreaterThan(2f);
            assertThat(first.getWatch().getSuppressed())
                    .as("one alert per document: its other two hits held back")
                    .isEqualTo(2);
            assertThat(first.getMessage()).startsWith("lighthouses: feature 5 of aen v1 fired");

            // v2 moves the concept's feature to another id, and feature 7 continues nothing.
            int[] previous = new int[D];
            float[] cos = new float[D];
            for (int j = 0; j < D; j++) {
                previous[j] = j;
                cos[j] = 1;
            }
            previous[MOVED_TO] = CONCEPT;
            previous[CONCEPT] = MOVED_TO;
            previous[VANISHES] = -1;
            registry.lineages().record("aen", 2, 1, previous, cos);
            registry.put(new ServingSae("aen", 2, v2, "concept on feature 11"));
            in.pipeInput(new byte[0], batches.toBytes(batch(List.of(50))), ts += 100);
            List<Alert> raised = alerts.readValuesToList();
            List<Alert> after = watch(raised, AlertType.WATCH_ACTIVATION);
            assertThat(after)
                    .singleElement()
                    .satisfies(
                            a -> {
                                assertThat(a.getVersion()).isEqualTo(2);
                                assertThat(a.getFeatureIds()).containsExactly(MOVED_TO);
                                assertThat(a.getWatch().getRuleId()).isEqualTo("lighthouses");
                                assertThat(a.getWatch().getText()).contains("lighthouse");
                            });
            assertThat(watch(raised, AlertType.WATCH_RULE_LOST))
                    .singleElement()
                    .satisfies(
                            a ->
                                    assertThat(a.getMessage())
                                            .contains("vanishing")
                                            .contains(
                                                    "no feature of version 2 continues feature 7"));
            List<WatchRule> written = new ArrayList<>(moved.readValuesToList());
            assertThat(written)
                    .filteredOn(r -> r.getRuleId().equals("lighthouses"))
                    .singleElement()
                    .satisfies(
                            r -> {
                                assertThat(r.getFeature()).isEqualTo(MOVED_TO);
                                assertThat(r.getVersion()).isEqualTo(2);
                                assertThat(r.getDeclaredFeature()).isEqualTo(CONCEPT);
                                assertThat(r.getDeclaredVersion()).isEqualTo(1);
                            });
        }
    }

    @Test
    void aDensityRuleAlertsOnceWhenItsFeatureCrossesTheBound() throws Exception {
        SaeRegistry registry = new SaeRegistry();
        try (SaeEncoder v1 =
                        SaeEncoder.open(sae(CONCEPT), new EncoderSpec(D, false), Device.CPU, 1);
                TopologyTestDriver driver = driver(registry, "watch-density-test")) {
            driver.createInputTopic(
                            topics.watchRules(), new StringSerializer(), new ByteArraySerializer())
                    .pipeInput(
                            "dense",
                            rules.toBytes(
                                    rule("dense", CONCEPT, WatchCondition.DENSITY_ABOVE, 0.01)));
            TestInputTopic<byte[], byte[]> in =
                    driver.createInputTopic(
                            topics.activations(),
                            new ByteArraySerializer(),
                            new ByteArraySerializer());
            TestOutputTopic<String, Alert> alerts =
                    driver.createOutputTopic(
                            topics.alerts(),
                            new StringDeserializer(),
                            new AvroSerde<>(Alert.class));
            registry.put(new ServingSae("aen", 1, v1, "concept on feature 5"));
            long ts = 0;
            // 2,000 tokens without the concept: two windows inside the bound.
            for (int b = 0; b < 20; b++)
                in.pipeInput(new byte[0], batches.toBytes(batch(List.of())), ts += 600);
            assertThat(watch(alerts.readValuesToList(), AlertType.WATCH_DENSITY)).isEmpty();
            // Then 5% of rows: above the bound, alerted once however long it lasts.
            for (int b = 0; b < 40; b++)
                in.pipeInput(
                        new byte[0], batches.toBytes(batch(List.of(1, 21, 41, 61, 81))), ts += 600);
            assertThat(watch(alerts.readValuesToList(), AlertType.WATCH_DENSITY))
                    .singleElement()
                    .satisfies(
                            a -> {
                                assertThat(a.getFeatureIds()).containsExactly(CONCEPT);
                                assertThat(a.getValue()).isGreaterThan(0.01);
                                assertThat(a.getWatch().getRuleId()).isEqualTo("dense");
                            });
        }
    }

    /** The encode topology, its statistics windows a second long. */
    private TopologyTestDriver driver(SaeRegistry registry, String applicationId) {
        MonitorConfig config = MonitorConfig.builder().set(MonitorConfig.WINDOW_MS, 1_000).build();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        return new TopologyTestDriver(
                EncodeTopology.build(topics, registry, new EncodeStats(), config), props);
    }

    private static List<Alert> watch(List<Alert> alerts, AlertType type) {
        return alerts.stream().filter(a -> a.getAlertType() == type).toList();
    }
}
