package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.ModelHead;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SpliceFigures;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.produce.replay.ActivationFile;
import dev.aenstream.testkit.TopicReader;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code aen produce transformer} end to end on a real broker: the tiny GPT-2-style decoder's last
 * residual stream reaches the topic token by token, with token ids, offsets and docs/aen-sae.md's
 * normalisation, and equals PyTorch's values once the scale factors are divided out. With
 * --splice-share it splices the version the models topic serves into its batches and publishes what
 * the model loses. Then the MiniLM demo runs briefly and encodes real text.
 */
class TransformerProduceIT {
    private static final Path GPT2 =
            Path.of("../producers/src/test/resources/fixtures/decoders/gpt2");

    /** The sentence export_decoders.py ran its reference on. */
    private static final String SENTENCE = "Sparse features, dead or alive.";

    private static final int D = 32;

    @TempDir static Path dir;
    private static EmbeddedBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = EmbeddedBroker.start(0, dir.resolve("kafka"));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void splicesTheServedVersionIntoItsShareOfBatchesAndPublishesWhatTheModelLoses()
            throws Exception {
        Topics topics = new Topics("splice.");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(1, (short) 1));
        }
        EvalCommandIT.publishFixtureSae(broker.bootstrapServers(), topics, "tiny", 3);
        String hook = EvalCommandTest.afterLayer0(GPT2);
        CompletableFuture<Integer> producing =
                CompletableFuture.supplyAsync(
                        () ->
                                Aen.commandLine(new String[0])
                                        .execute(
                                                "produce",
                                                "transformer",
                                                "--model",
                                                GPT2.toString(),
                                                "--hook",
                                                hook,
                                                "--text",
                                                GPT2.resolve("../../splice/eval.txt").toString(),
                                                "--seq-len",
                                                "64", // the fixture's positions
                                                "--loop",
                                                "0",
                                                "--splice-share",
                                                "0.5",
                                                "--allow-unsigned-models",
                                                "--bootstrap-servers",
                                                broker.bootstrapServers(),
                                                "--topic-prefix",
                                                topics.prefix()));
        List<SpliceFigures> figures;
        try {
            AvroSerde<SpliceFigures> serde = new AvroSerde<>(SpliceFigures.class);
            figures =
                    TopicReader.read(
                                    broker.bootstrapServers(),
                                    topics.spliceFigures(),
                                    false,
                                    3,
                                    Duration.ofSeconds(120),
                                    Duration.ZERO)
                            .stream()
                            .map(r -> serde.fromBytes(r.value()))
                            .toList();
        } finally {
            StopSignals.ask(); // what Ctrl-C asks: the producer stops after its batch
        }
        assertThat(producing.get(2, TimeUnit.MINUTES)).isZero();
        assertThat(figures).hasSizeGreaterThanOrEqualTo(3);
        for (SpliceFigures f : figures) {
            assertThat(f.getSaeId()).isEqualTo("tiny");
            assertThat(f.getVersion()).isEqualTo(3);
            assertThat(f.getHead()).isEqualTo(ModelHead.LOGITS);
            assertThat(f.getSourceModel()).isEqualTo("gpt2");
            assertThat(f.getFigures().get("ce_loss_score")).isFinite();
            assertThat(f.getFigures().get("kl_div_with_sae")).isPositive();
        }
        assertThat(figures.get(2).getTokens())
                .as("each record holds the version's spliced tokens so far")
                .isGreaterThan(figures.get(0).getTokens());
    }

    @Test
    void listsHooksOnePerLineAndPublishesTheHookedResidualStream() throws Exception {
        List<String> hooks =
                stdout("produce", "transformer", "--model", GPT2.toString(), "--list-hooks")
                        .lines()
                        .filter(l -> !l.matches("^\\d\\d:\\d\\d:\\d\\d.*"))
                        .toList(); // the tests log to stdout
        assertThat(hooks).isNotEmpty().allSatisfy(line -> assertThat(line.split("\t")).hasSize(3));
        String last =
                hooks.stream()
                        .filter(l -> l.contains("layer 1") && l.contains("residual sum"))
                        .reduce((a, b) -> b)
                        .orElseThrow()
                        .split("\t")[0];

        Path text = dir.resolve("sentence.txt");
        Files.writeString(text, SENTENCE);
        Topics topics = new Topics("transformer.");
        int code =
                Aen.commandLine(new String[0])
                        .execute(
                                "produce",
                                "transformer",
                                "--model",
                                GPT2.toString(),
                                "--hook",
                                last,
                                "--text",
                                text.toString(),
                                "--bootstrap-servers",
                                broker.bootstrapServers(),
                                "--topic-prefix",
                                topics.prefix(),
                                "--rows-per-record",
                                "8");
        assertThat(code).isZero();

        byte[] utf8 = SENTENCE.getBytes(StandardCharsets.UTF_8);
        int records = (utf8.length + 7) / 8;
        AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
        List<ActivationBatch> batches =
                TopicReader.read(
                                broker.bootstrapServers(),
                                topics.activations(),
                                false,
                                records,
                                Duration.ofSeconds(30),
                                Duration.ZERO)
                        .stream()
                        .map(r -> serde.fromBytes(r.value()))
                        .sorted(java.util.Comparator.comparingLong(ActivationBatch::getSequence))
                        .toList();
        FloatBuffer reference =
                ActivationFile.open(GPT2.resolve("reference.npy"), null)
                        .data()
                        .duplicate()
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .asFloatBuffer();
        int token = 0;
        for (ActivationBatch b : batches) {
            assertThat(b.getSourceModel()).isEqualTo("gpt2");
            assertThat(b.getHookPoint()).isEqualTo(last);
            assertThat(b.getN()).isEqualTo(D);
            assertThat(b.getNormalisation()).isEqualTo(Normalisation.UNIT_SQRT_N);
            FloatBuffer rows =
                    b.getPayload().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            FloatBuffer scales =
                    b.getScales().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            IntBuffer ids =
                    b.getTokenIds().duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
            IntBuffer offsets =
                    b.getTextOffsets().duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
            for (int r = 0; r < b.getRows(); r++, token++) {
                assertThat(ids.get(r)).isEqualTo(utf8[token] & 0xff);
                assertThat(new int[] {offsets.get(2 * r), offsets.get(2 * r + 1)})
                        .containsExactly(token, token + 1);
                double norm = 0;
                double diff = 0;
                double refNorm = 0;
                for (int i = 0; i < D; i++) {
                    float v = rows.get(r * D + i);
                    norm += v * v;
                    double raw = v / scales.get(r);
                    double want = reference.get((D * utf8.length) + token * D + i); // layer 1
                    diff += (raw - want) * (raw - want);
                    refNorm += want * want;
                }
                assertThat(Math.sqrt(norm))
                        .isCloseTo(Math.sqrt(D), org.assertj.core.data.Offset.offset(1e-3));
                assertThat(Math.sqrt(diff / refNorm))
                        .as("token %d against PyTorch", token)
                        .isLessThan(1e-4);
            }
        }
        assertThat(token).as("one row per text token").isEqualTo(utf8.length);
    }

    @Test
    void theMinilmDemoEncodesRealText() throws Exception {
        Path summary = dir.resolve("minilm.json");
        int code =
                Aen.commandLine(new String[0])
                        .execute(
                                "demo",
                                "--source",
                                "minilm",
                                "--duration",
                                "12",
                                "--d-sae",
                                "256",
                                "--publish-every",
                                "20",
                                "--bootstrap-servers",
                                broker.bootstrapServers(),
                                "--topic-prefix",
                                "minilm.",
                                "--summary-json",
                                summary.toString());
        assertThat(code).isZero();
        JsonNode json = new ObjectMapper().readTree(summary.toFile());
        assertThat(json.get("source_model").asText()).isEqualTo("all-minilm-l6-v2");
        assertThat(json.get("n").asInt()).isEqualTo(384);
        assertThat(json.get("tokens_encoded").asLong())
                .isPositive()
                .isEqualTo(json.get("rows_produced").asLong());
        assertThat(json.get("dead_letters").asLong()).isZero();
        for (JsonNode sae : json.get("saes")) assertThat(sae.get("steps").asLong()).isPositive();
    }

    private static String stdout(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThat(Aen.commandLine(args).execute(args)).as(Arrays.toString(args)).isZero();
        } finally {
            System.setOut(saved);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
