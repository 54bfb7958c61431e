package dev.aenstream.produce.transformer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.aenstream.produce.replay.ActivationFile;
import dev.aenstream.sae.runtime.Device;
import java.io.ByteArrayInputStream;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tiny decoders in the GPT-2, GPT-NeoX and Llama conventions
 * (fixtures/decoders/export_decoders.py): the hook list names every layer's residual stream, and
 * each layer's hooked activations equal the residual stream PyTorch computed, with the sentence
 * padded in a batch.
 */
class DecoderHookTest {
    /** The sentence export_decoders.py ran its reference on. */
    private static final String SENTENCE = "Sparse features, dead or alive.";

    private static final int LAYERS = 2;
    private static final int D = 32;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "neox", "llama"})
    void everyLayersResidualStreamIsListedAndMatchesPyTorch(String style) throws Exception {
        Path folder = Path.of("src/test/resources/fixtures/decoders", style);
        ModelSource source = ModelSource.resolve(folder.toString(), null);
        ModelProto model = ModelProto.parseFrom(source.model());
        List<TransformerModel.Hook> hooks = TransformerModel.listHooks(model, Device.CPU);
        assertThat(hooks).allSatisfy(h -> assertThat(h.width()).isEqualTo(D));

        FloatBuffer reference =
                ActivationFile.open(folder.resolve("reference.npy"), null)
                        .data()
                        .duplicate()
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .asFloatBuffer();
        List<String> names = hooks.stream().map(TransformerModel.Hook::name).toList();
        try (Tokeniser tokeniser =
                        new Tokeniser(new ByteArrayInputStream(source.tokenizerJson()), 64);
                TransformerModel hooked = TransformerModel.open(model, names, Device.CPU, 0)) {
            TokenSequence sentence = tokeniser.windows(SENTENCE).get(0);
            assertTokens(style, sentence);
            TokenSequence longer =
                    tokeniser
                            .windows(SENTENCE + " A longer second sentence pads the first.")
                            .get(0);
            Map<String, TransformerModel.Activations> acts = hooked.run(List.of(sentence, longer));
            int tokens = sentence.length();
            for (int layer = 0; layer < LAYERS; layer++) {
                int l = layer;
                List<String> matching =
                        hooks.stream()
                                .filter(
                                        h ->
                                                relativeError(
                                                                acts.get(h.name()),
                                                                reference,
                                                                l * tokens * D,
                                                                tokens)
                                                        < 1e-4)
                                .map(
                                        h ->
                                                h.name()
                                                        + " ("
                                                        + HookPoints.layerOf(h.name())
                                                        + ", "
                                                        + h.kind()
                                                        + ")")
                                .toList();
                assertThat(matching)
                        .as(
                                "%s: hooks equal to PyTorch's residual stream after layer %d",
                                style, layer)
                        .hasSize(1)
                        .allSatisfy(
                                m -> assertThat(m).contains("layer " + l).contains("RESIDUAL_SUM"));
            }
        }
    }

    private static void assertTokens(String style, TokenSequence sentence) {
        byte[] utf8 = SENTENCE.getBytes(StandardCharsets.UTF_8);
        boolean bos = style.equals("llama");
        assertThat(sentence.length()).isEqualTo(utf8.length + (bos ? 1 : 0));
        if (bos) assertThat(sentence.text()[0]).as("BOS is not text").isFalse();
        for (int i = 0; i < utf8.length; i++) {
            int t = i + (bos ? 1 : 0);
            assertThat(sentence.ids()[t]).isEqualTo(utf8[i] & 0xff);
            assertThat(sentence.text()[t]).isTrue();
            assertThat(sentence.starts()[t]).isEqualTo(i);
        }
    }

    /**
     * Largest per-token relative L2 error of the first {@code tokens} rows of sequence 0 against
     * the reference.
     */
    private static double relativeError(
            TransformerModel.Activations acts, FloatBuffer reference, int offset, int tokens) {
        double worst = 0;
        for (int t = 0; t < tokens; t++) {
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < D; i++) {
                double want = reference.get(offset + t * D + i);
                double got = acts.values()[t * D + i];
                diff += (got - want) * (got - want);
                norm += want * want;
            }
            worst = Math.max(worst, Math.sqrt(diff / norm));
        }
        return worst;
    }
}
