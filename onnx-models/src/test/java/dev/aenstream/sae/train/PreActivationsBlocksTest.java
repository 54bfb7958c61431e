package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.OrtSessions;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * W_enc over 2 GiB (n 4,096, D 131,072) cannot be one direct buffer, so the sparse step's product
 * takes it in blocks of rows: the blocked graph computes what the whole one does, with and without
 * a TopK cut.
 */
class PreActivationsBlocksTest {
    private static final int N = 8;
    private static final int D = 30;
    private static final int ROWS = 5;

    @Test
    void aDictionaryOfTwoGibTakesTwoBlocks() {
        assertThat(PreActivations.blocks(512, 4096)).isEqualTo(1);
        assertThat(PreActivations.blocks(4096, 65_536)).isEqualTo(1);
        assertThat(PreActivations.blocks(4096, 131_072)).isEqualTo(2);
        assertThat(PreActivations.blocks(4096, 131_073)).isEqualTo(3);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 4})
    void blocksComputeWhatTheWholeDoes(int k) throws Exception {
        SplittableRandom random = new SplittableRandom(k);
        float[] x = gaussian(random, ROWS * N);
        float[] w = gaussian(random, D * N);
        float[] b = gaussian(random, D);
        Map<String, float[]> whole = run(PreActivations.graph(N, D, k, 1), k, x, w, b, 1);
        Map<String, float[]> blocked = run(PreActivations.graph(N, D, k, 3), k, x, w, b, 3);
        assertThat(blocked.get(SparseCodesOfStep.PRE))
                .containsExactly(whole.get(SparseCodesOfStep.PRE));
        if (k > 0)
            assertThat(blocked.get(SparseCodesOfStep.KTH))
                    .containsExactly(whole.get(SparseCodesOfStep.KTH));
    }

    private static Map<String, float[]> run(
            ai.onnx.proto.OnnxMl.ModelProto model,
            int k,
            float[] x,
            float[] w,
            float[] b,
            int blocks)
            throws Exception {
        OrtEnvironment env = OrtSessions.environment();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try (OrtSessions.Opened opened = OrtSessions.open(model.toByteArray(), Device.CPU, 1)) {
            inputs.put(
                    "xc", OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {ROWS, N}));
            for (int i = 0; i < blocks; i++) {
                int from = D * i / blocks, to = D * (i + 1) / blocks;
                inputs.put(
                        blocks == 1 ? "W_enc" : "W_enc_" + i,
                        OnnxTensor.createTensor(
                                env,
                                FloatBuffer.wrap(Arrays.copyOfRange(w, from * N, to * N)),
                                new long[] {to - from, N}));
            }
            if (k > 0) {
                inputs.put(
                        "b_enc", OnnxTensor.createTensor(env, FloatBuffer.wrap(b), new long[] {D}));
                inputs.put("k", OnnxTensor.createTensor(env, new long[] {k}));
            }
            Map<String, float[]> out = new HashMap<>();
            try (OrtSession.Result r = opened.session().run(inputs)) {
                for (var e : r) {
                    FloatBuffer buffer = ((OnnxTensor) e.getValue()).getFloatBuffer();
                    float[] values = new float[buffer.remaining()];
                    buffer.get(values);
                    out.put(e.getKey(), values);
                }
            }
            return out;
        } finally {
            for (OnnxTensor t : inputs.values()) t.close();
        }
    }

    private static float[] gaussian(SplittableRandom random, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float) random.nextGaussian();
        return v;
    }
}
