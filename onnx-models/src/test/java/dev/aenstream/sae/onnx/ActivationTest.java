package dev.aenstream.sae.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.sae.SaeParameters;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The encoder's activations: each records itself in the graph it builds and is read back from it,
 * graphs built before the activation was recorded read as what they computed, and thresholds are
 * required exactly where a kind has them.
 */
class ActivationTest {
    private static final int N = 4;
    private static final int D = 6;

    @Test
    void everyKindIsReadBackFromTheGraphItBuilt() throws IOException {
        for (Activation a : Activation.ALL) {
            OnnxMl.ModelProto model = model(a);
            assertThat(EncoderTensors.read(model, null, 0).spec().activation())
                    .as(a.label())
                    .isSameAs(a);
        }
    }

    @Test
    void graphsFromBeforeTheActivationWasRecordedReadAsWhatTheyComputed() throws IOException {
        // Those graphs said top_k=true or false, and a JumpReLU's was the one with thresholds.
        assertThat(legacy(Activation.TOP_K, "true")).isSameAs(Activation.TOP_K);
        assertThat(legacy(Activation.RELU, "false")).isSameAs(Activation.RELU);
        assertThat(legacy(Activation.JUMP_RELU, "false")).isSameAs(Activation.JUMP_RELU);
    }

    @Test
    void thresholdsAreRequiredExactlyWhereAKindHasThem() {
        SaeParameters p = SaeParameters.initialise(N, D, 3);
        EncoderGraph.Weights plain = EncoderGraph.Weights.of(p);
        EncoderGraph.Weights thresholded = plain.withThreshold(new float[D]);
        assertThatThrownBy(() -> build(plain, Activation.JUMP_RELU))
                .hasMessageContaining("JumpReLU SAE needs a threshold per feature");
        assertThatThrownBy(() -> build(thresholded, Activation.TOP_K))
                .hasMessageContaining("TopK SAE has no thresholds");
        assertThatThrownBy(() -> Activation.JUMP_RELU.checkThresholds(D - 1, D))
                .hasMessageContaining("a threshold per feature: 6, not 5");
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        assertThat(Activation.named("topk")).isSameAs(Activation.TOP_K);
        assertThatThrownBy(() -> Activation.named("gelu"))
                .hasMessage("unknown activation 'gelu' (relu, topk, jumprelu)");
    }

    @Test
    void onlyTopKIsServedBySparsifyAndEachNamesItsSaeLensArchitecture() {
        assertThat(Activation.ALL.stream().map(Activation::saeLensArchitecture))
                .containsExactly("standard", "topk", "jumprelu");
        assertThat(Activation.TOP_K.sparsifySettings(32))
                .get()
                .extracting(m -> m.get("k"))
                .isEqualTo(32);
        assertThat(Activation.RELU.sparsifySettings(32)).isEmpty();
        assertThat(Activation.JUMP_RELU.sparsifySettings(32)).isEmpty();
    }

    private static Activation legacy(Activation a, String topK) throws IOException {
        OnnxMl.ModelProto built = model(a);
        OnnxMl.ModelProto.Builder old = built.toBuilder().clearMetadataProps();
        for (OnnxMl.StringStringEntryProto e : built.getMetadataPropsList())
            if (!e.getKey().equals(EncoderGraph.ACTIVATION)) old.addMetadataProps(e);
        old.addMetadataProps(
                OnnxMl.StringStringEntryProto.newBuilder()
                        .setKey(EncoderGraph.TOP_K)
                        .setValue(topK));
        return EncoderTensors.read(old.build(), null, 0).spec().activation();
    }

    private static OnnxMl.ModelProto model(Activation a) throws IOException {
        EncoderGraph.Weights w = EncoderGraph.Weights.of(SaeParameters.initialise(N, D, 3));
        if (a.hasThresholds()) {
            float[] t = new float[D];
            Arrays.fill(t, 0.1f);
            w = w.withThreshold(t);
        }
        return OnnxMl.ModelProto.parseFrom(build(w, a).graph());
    }

    private static OnnxPackage build(EncoderGraph.Weights w, Activation a) {
        return EncoderGraph.packaged(
                w, new EncoderSpec(3, false, a), "activation", EncoderGraph.CAST_BLOCK_BYTES);
    }
}
