package dev.aenstream.produce.transformer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.produce.replay.ActivationFile;
import dev.aenstream.sae.runtime.Device;
import java.io.ByteArrayInputStream;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MiniLM's hooked residual stream against an independent PyTorch re-implementation of the model
 * (fixtures/minilm_reference.py), for a fixed sentence.
 */
class MinilmHookTest {
    private static final Path FIXTURES = Path.of("src/test/resources/fixtures");
    private static ModelSource minilm;
    private static ModelProto model;
    private static JsonNode expected;

    @BeforeAll
    static void load() throws Exception {
        minilm = ModelSource.resolve(ModelSource.MINILM, null);
        model = ModelProto.parseFrom(minilm.model());
        expected = new ObjectMapper().readTree(FIXTURES.resolve("minilm_layer3.json").toFile());
    }

    @Test
    void tokensAndOffsetsMatchAnIndependentWordPiece() throws Exception {
        try (Tokeniser tokeniser =
                new Tokeniser(new ByteArrayInputStream(minilm.tokenizerJson()), 128)) {
            List<TokenSequence> windows = tokeniser.windows(expected.get("sentence").asText());
            assertThat(windows).hasSize(1);
            TokenSequence s = windows.get(0);
            int[] ids = textTokens(s).stream().mapToInt(t -> (int) s.ids()[t]).toArray();
            assertThat(ids).containsExactly(ints(expected.get("token_ids")));
            int first = textTokens(s).get(0);
            assertThat(new int[] {s.starts()[first], s.ends()[first]})
                    .containsExactly(ints(expected.get("offsets").get(0)));
            assertThat(s.text()[0]).as("[CLS] is not text").isFalse();
        }
    }

    @Test
    void hookedLayerEqualsTheReference() throws Exception {
        String hook = expected.get("hook").asText();
        assertThat(hook).isEqualTo(minilm.defaultHook());
        FloatBuffer reference =
                ActivationFile.open(FIXTURES.resolve("minilm_layer3.npy"), null)
                        .rows(0, 16)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .asFloatBuffer();
        try (Tokeniser tokeniser =
                        new Tokeniser(new ByteArrayInputStream(minilm.tokenizerJson()), 128);
                TransformerModel hooked =
                        TransformerModel.open(model, List.of(hook), Device.CPU, 0)) {
            TokenSequence sentence = tokeniser.windows(expected.get("sentence").asText()).get(0);
            TokenSequence longer =
                    tokeniser
                            .windows(
                                    "A longer sentence in the same batch, so the first one is"
                                        + " padded and masked; its activations must not change at"
                                        + " all because of that.")
                            .get(0);
            assertThat(longer.length()).isGreaterThan(sentence.length());
            TransformerModel.Activations acts = hooked.run(List.of(sentence, longer)).get(hook);
            assertThat(acts.width()).isEqualTo(384);
            List<Integer> text = textTokens(sentence);
            double maxRelative = 0;
            for (int r = 0; r < text.size(); r++) {
                double diff = 0;
                double norm = 0;
                for (int i = 0; i < 384; i++) {
                    float want = reference.get(r * 384 + i);
                    float got = acts.values()[text.get(r) * 384 + i];
                    diff += (got - want) * (double) (got - want);
                    norm += want * (double) want;
                }
                maxRelative = Math.max(maxRelative, Math.sqrt(diff / norm));
            }
            assertThat(maxRelative).as("largest per-token relative L2 error").isLessThan(1e-4);
        }
    }

    @Test
    void listsTheResidualStreamOfEveryLayer() throws Exception {
        List<TransformerModel.Hook> hooks = TransformerModel.listHooks(model, Device.CPU);
        assertThat(hooks).allSatisfy(h -> assertThat(h.width()).isEqualTo(384));
        assertThat(hooks)
                .extracting(TransformerModel.Hook::name)
                .contains(minilm.defaultHook(), "last_hidden_state");
        for (int layer = 0; layer < 6; layer++) {
            String prefix = "/encoder/layer." + layer + "/";
            assertThat(hooks)
                    .filteredOn(
                            h ->
                                    h.name().startsWith(prefix)
                                            && h.kind() == HookPoints.Kind.RESIDUAL_SUM)
                    .as("attention and MLP residual sums of layer %d", layer)
                    .hasSize(2);
        }
        assertThat(hooks.get(0).line()).startsWith(hooks.get(0).name() + "\t[batch, seq, 384]\t");
    }

    private static List<Integer> textTokens(TokenSequence s) {
        return java.util.stream.IntStream.range(0, s.length())
                .filter(t -> s.text()[t])
                .boxed()
                .toList();
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
