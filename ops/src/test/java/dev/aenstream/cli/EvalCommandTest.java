package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.produce.transformer.HookPoints;
import dev.aenstream.produce.transformer.ModelSource;
import dev.aenstream.produce.transformer.TransformerModel;
import dev.aenstream.sae.SaeFiles;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.runtime.Device;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code aen eval} from the command line: on the tiny GPT-2, NeoX and Llama decoders every figure
 * of its --summary-json equals PyTorch's (fixtures/splice/splice_reference.py in the producers
 * module); on MiniLM a perfect reconstruction scores 1 and an SAE that reconstructs nothing scores
 * 0, as the zero ablation does.
 */
class EvalCommandTest {
    private static final Path FIXTURES = Path.of("../producers/src/test/resources/fixtures");
    private static final double TOLERANCE = 1e-4;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "neox", "llama"})
    void everyFigureMatchesPyTorch(String style) throws Exception {
        List<String> args = new ArrayList<>(tinyModel(style));
        args.addAll(List.of("--sae-file", FIXTURES.resolve("splice/" + style + "-sae").toString()));
        args.addAll(List.of("--batch", "4"));
        JsonNode summary = eval(args.toArray(String[]::new));
        JsonNode reference =
                JSON.readTree(FIXTURES.resolve("splice/reference.json").toFile()).get(style);
        assertThat(summary.get("head").asText()).isEqualTo("logits");
        assertThat(summary.get("tokens").asLong()).isEqualTo(reference.get("tokens").asLong());
        assertThat(summary.get("sequences").asLong())
                .isEqualTo(reference.get("sequences").asLong());
        JsonNode figures = summary.get("figures");
        reference
                .get("figures")
                .fields()
                .forEachRemaining(
                        e ->
                                assertThat(figures.get(e.getKey()).asDouble())
                                        .as("%s: %s", style, e.getKey())
                                        .isCloseTo(e.getValue().asDouble(), within(TOLERANCE)));
        assertThat(summary.get("feature_density")).hasSize(64);
    }

    @Test
    void onMiniLmAPerfectReconstructionScoresOneAndNoReconstructionZero() throws Exception {
        int n = 384;
        Path perfect = dir.resolve("perfect.safetensors");
        SaeFiles.save(perfect, identity(n), Map.of());
        Path nothing = dir.resolve("nothing.safetensors");
        SaeFiles.save(
                nothing,
                new SaeParameters(
                        n, 8, new float[8 * n], new float[8], new float[n * 8], new float[n]),
                Map.of());
        Path text = dir.resolve("text.txt");
        Files.writeString(
                text,
                "The committee adopted the report.\nSparse features stay alive.\nShort line.\n");
        JsonNode whole = minilm(perfect, text);
        assertThat(whole.get("head").asText()).isEqualTo("embedding");
        JsonNode f = whole.get("figures");
        assertThat(f.get("embedding_score").asDouble()).isCloseTo(1, within(1e-6));
        assertThat(f.get("embedding_cos_dist_with_sae").asDouble()).isCloseTo(0, within(1e-6));
        assertThat(f.get("embedding_cos_dist_with_ablation").asDouble()).isPositive();
        assertThat(f.get("explained_variance").asDouble()).isCloseTo(1, within(1e-6));
        assertThat(f.has("ce_loss_score")).as("no language-model head, no CE").isFalse();

        JsonNode none = minilm(nothing, text).get("figures");
        assertThat(none.get("embedding_score").asDouble()).isCloseTo(0, within(1e-9));
        assertThat(none.get("embedding_cos_dist_with_sae").asDouble())
                .isCloseTo(none.get("embedding_cos_dist_with_ablation").asDouble(), within(1e-9));
    }

    @Test
    void anSaeIsGivenOnce() {
        for (String[] sae :
                List.of(new String[0], new String[] {"--sae-id", "aen", "--sae-file", "x"})) {
            List<String> args = new ArrayList<>(List.of("eval", "--model", "minilm"));
            args.addAll(List.of(sae));
            CommandLine cli = Aen.commandLine(new String[0]);
            StringWriter err = new StringWriter();
            cli.setErr(new PrintWriter(err));
            assertThat(cli.execute(args.toArray(String[]::new))).isNotZero();
            assertThat(err.toString()).contains("give the SAE once");
        }
    }

    private JsonNode minilm(Path sae, Path text) throws Exception {
        return eval(
                "--model",
                "minilm",
                "--sae-file",
                sae.toString(),
                "--text",
                text.toString(),
                "--sequences",
                "lines");
    }

    private JsonNode eval(String... args) throws Exception {
        Path out = Files.createTempFile(dir, "eval", ".json");
        List<String> all = new ArrayList<>(List.of("eval", "--summary-json", out.toString()));
        all.addAll(List.of(args));
        assertThat(Aen.commandLine(new String[0]).execute(all.toArray(String[]::new))).isZero();
        return JSON.readTree(out.toFile());
    }

    /** An SAE whose 2n features are x+ and x-: relu(x) - relu(-x) reconstructs x exactly. */
    private static SaeParameters identity(int n) {
        int d = 2 * n;
        float[] wEnc = new float[d * n];
        float[] wDec = new float[n * d];
        for (int i = 0; i < n; i++) {
            wEnc[i * n + i] = 1;
            wEnc[(n + i) * n + i] = -1;
            wDec[i * d + i] = 1;
            wDec[i * d + n + i] = -1;
        }
        return new SaeParameters(n, d, wEnc, new float[d], wDec, new float[n]);
    }

    /**
     * {@code aen eval}'s arguments for the tiny {@code style} decoder hooked after layer 0 on the
     * fixture lines, one sequence each, as splice_reference.py cuts them; the SAE is the caller's.
     */
    static List<String> tinyModel(String style) throws Exception {
        Path model = FIXTURES.resolve("decoders/" + style);
        return List.of(
                "--model",
                model.toString(),
                "--hook",
                afterLayer0(model),
                "--text",
                FIXTURES.resolve("splice/eval.txt").toString(),
                "--sequences",
                "lines",
                "--seq-len",
                "64");
    }

    /** The residual stream after layer 0: the last residual sum the graph computes in layer 0. */
    static String afterLayer0(Path model) throws Exception {
        ModelSource source = ModelSource.resolve(model.toString(), null);
        String found = null;
        for (TransformerModel.Hook h :
                TransformerModel.listHooks(ModelProto.parseFrom(source.model()), Device.CPU))
            if (h.kind() == HookPoints.Kind.RESIDUAL_SUM
                    && HookPoints.layerOf(h.name()).equals("layer 0")) found = h.name();
        assertThat(found).isNotNull();
        return found;
    }
}
