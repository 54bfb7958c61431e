package dev.aenstream.produce.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.produce.transformer.HookPoints;
import dev.aenstream.produce.transformer.ModelSource;
import dev.aenstream.produce.transformer.TokenSequence;
import dev.aenstream.produce.transformer.Tokeniser;
import dev.aenstream.produce.transformer.TransformerModel;
import dev.aenstream.sae.importers.SaeSources;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An SAE spliced into the tiny GPT-2, NeoX and Llama decoders after layer 0: every figure equals
 * the one PyTorch computes splicing the same SAE into the same model on the same lines
 * (fixtures/splice/splice_reference.py), with the lines padded in batches of three.
 */
class SpliceEvaluationTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");

    /** Agreement asked of every figure: float32 models on two runtimes, sums in double. */
    static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "neox", "llama"})
    void everyFigureMatchesPyTorch(String style) throws Exception {
        JsonNode reference =
                new ObjectMapper()
                        .readTree(FIXTURES.resolve("splice/reference.json").toFile())
                        .get(style);
        Map<String, Double> figures = evaluate(style, 3);
        JsonNode want = reference.get("figures");
        assertThat(figures.keySet()).containsAll(iterable(want));
        for (String name : iterable(want))
            assertThat(figures.get(name))
                    .as("%s: %s", style, name)
                    .isCloseTo(want.get(name).asDouble(), within(TOLERANCE));
    }

    /** The figures of the fixture SAE spliced into the {@code style} decoder after layer 0. */
    static Map<String, Double> evaluate(String style, int batch) throws Exception {
        ModelSource source =
                ModelSource.resolve(FIXTURES.resolve("decoders/" + style).toString(), null);
        ModelProto model = ModelProto.parseFrom(source.model());
        String hook = afterLayer0(model);
        SaeSources.EncoderModel sae =
                SaeSources.load(
                        FIXTURES.resolve("splice/" + style + "-sae"), Integer.MAX_VALUE, false);
        try (Tokeniser tokeniser =
                        new Tokeniser(new ByteArrayInputStream(source.tokenizerJson()), 64);
                SplicedModel spliced = SplicedModel.open(model, hook, Device.CPU, 1);
                SaeEncoder encoder =
                        SaeEncoder.open(sae.model(), sae.n(), sae.d(), sae.kMax(), Device.CPU, 1)) {
            SpliceEvaluation evaluation =
                    new SpliceEvaluation(spliced, new SaeSplice(encoder, sae.decoder(), false));
            List<TokenSequence> pending = new ArrayList<>();
            for (String line : Files.readAllLines(FIXTURES.resolve("splice/eval.txt"))) {
                if (line.isBlank()) continue;
                pending.addAll(tokeniser.windows(line));
                if (pending.size() == batch) {
                    evaluation.add(pending);
                    pending = new ArrayList<>();
                }
            }
            if (!pending.isEmpty()) evaluation.add(pending);
            return evaluation.figures();
        }
    }

    /** The residual stream after layer 0: the last residual sum the graph computes in layer 0. */
    static String afterLayer0(ModelProto model) throws Exception {
        String found = null;
        for (TransformerModel.Hook h : TransformerModel.listHooks(model, Device.CPU))
            if (h.kind() == HookPoints.Kind.RESIDUAL_SUM
                    && HookPoints.layerOf(h.name()).equals("layer 0")) found = h.name();
        assertThat(found).as("a residual sum in layer 0").isNotNull();
        return found;
    }

    private static List<String> iterable(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
