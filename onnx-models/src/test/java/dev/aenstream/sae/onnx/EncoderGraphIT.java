package dev.aenstream.sae.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtException;
import dev.aenstream.sae.OnnxChecker;
import dev.aenstream.sae.ReferenceEncoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EncoderGraphIT {
    @TempDir Path dir;

    private static SaeParameters randomParams(int n, int d, long seed) {
        SaeParameters p = SaeParameters.initialise(n, d, seed);
        SplittableRandom random = new SplittableRandom(seed + 1);
        for (int i = 0; i < n; i++) p.bDec()[i] = (float) random.nextGaussian() * 0.1f;
        return p;
    }

    private static float[] randomRows(int rows, int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[rows * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian() * 3;
        return x;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void codesEqualTheSpecsForwardPass(boolean normalise) throws OrtException {
        int n = 48, d = 96, rows = 37;
        SaeParameters p = randomParams(n, d, 5);
        float[] x = randomRows(rows, n, 9);
        try (SaeEncoder encoder =
                SaeEncoder.open(p, new EncoderSpec(d, normalise), Device.CPU, 1)) {
            SparseCodes codes = encoder.encode(java.nio.FloatBuffer.wrap(x), rows);
            assertThat(codes.rows()).isEqualTo(rows);
            for (int r = 0; r < rows; r++) {
                double[] expected = ReferenceEncoder.encode(p, x, r * n, normalise);
                float[] got = codes.denseRow(r);
                int fired = 0;
                for (int j = 0; j < d; j++) {
                    assertThat((double) got[j])
                            .as("row %d feature %d", r, j)
                            .isCloseTo(
                                    expected[j],
                                    org.assertj.core.data.Offset.offset(
                                            1e-5 * Math.max(1, Math.abs(expected[j]))));
                    if (expected[j] > 0) fired++;
                }
                assertThat(codes.activeCounts()[r]).isEqualTo(fired);
            }
        }
    }

    @Test
    void theTopKCutKeepsTheLargestAndCountsTheRest() throws OrtException {
        int n = 16, d = 64, k = 5, rows = 20;
        SaeParameters p = randomParams(n, d, 7);
        float[] x = randomRows(rows, n, 1);
        try (SaeEncoder encoder = SaeEncoder.open(p, new EncoderSpec(k, false), Device.CPU, 1)) {
            SparseCodes codes = encoder.encode(java.nio.FloatBuffer.wrap(x), rows);
            for (int r = 0; r < rows; r++) {
                double[] h = ReferenceEncoder.encode(p, x, r * n, false);
                List<Double> positive = new ArrayList<>();
                for (double v : h) if (v > 0) positive.add(v);
                positive.sort((a, b) -> Double.compare(b, a));
                int entries = codes.rowOffsets()[r + 1] - codes.rowOffsets()[r];
                assertThat(entries).isEqualTo(Math.min(k, positive.size()));
                assertThat(codes.activeCounts()[r]).isEqualTo(positive.size());
                for (int e = 0; e < entries; e++) {
                    int idx = codes.indices()[codes.rowOffsets()[r] + e];
                    assertThat((double) codes.values()[codes.rowOffsets()[r] + e])
                            .isCloseTo(h[idx], org.assertj.core.data.Offset.offset(1e-5));
                    assertThat(h[idx])
                            .isCloseTo(positive.get(e), org.assertj.core.data.Offset.offset(1e-5));
                }
            }
        }
    }

    @Test
    void theGraphPassesTheOnnxChecker() throws Exception {
        Path model = dir.resolve("encoder.onnx");
        for (boolean normalise : new boolean[] {false, true}) {
            Files.write(
                    model,
                    EncoderGraph.build(
                                    randomParams(32, 64, 2),
                                    new EncoderSpec(16, normalise),
                                    "sae_encoder")
                            .toByteArray());
            OnnxChecker.check(model);
        }
    }

    @Test
    void cudaOnACpuBuildFailsClearlyAndAutoFallsBackToCpu() throws OrtException, IOException {
        SaeParameters p = randomParams(8, 16, 1);
        try (SaeEncoder auto = SaeEncoder.open(p, new EncoderSpec(4, false), Device.AUTO, 1)) {
            assertThat(auto.device()).isIn(Device.CPU, Device.CUDA);
        }
        boolean cudaBuild =
                ai.onnxruntime.OrtEnvironment.getAvailableProviders()
                        .contains(ai.onnxruntime.OrtProvider.CUDA);
        if (!cudaBuild) {
            assertThatThrownBy(() -> SaeEncoder.open(p, new EncoderSpec(4, false), Device.CUDA, 1))
                    .isInstanceOf(OrtException.class)
                    .hasMessageContaining("--device cuda");
        }
    }
}
