package dev.aenstream.sae.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The trainer's Java encoding of its sample against the ONNX encoder graph on the same rows. */
class SampleGeometryTest {
    @Test
    void javaCodesMatchTheOnnxEncoderWithAndWithoutTopK() throws Exception {
        int n = 12;
        int d = 40;
        int rows = 30;
        SaeParameters p = SaeParameters.initialise(n, d, 5);
        float[] x = new float[rows * n];
        SplittableRandom random = new SplittableRandom(9);
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        for (int k : new int[] {0, 5}) {
            float[] mine = SampleGeometry.encode(p, x, rows, k);
            try (SaeEncoder encoder =
                    SaeEncoder.open(p, new EncoderSpec(k == 0 ? d : k, false), Device.CPU, 1)) {
                SparseCodes codes = encoder.encode(FloatBuffer.wrap(x), rows);
                for (int r = 0; r < rows; r++) {
                    float[] dense = codes.denseRow(r);
                    for (int j = 0; j < d; j++)
                        assertThat(mine[r * d + j])
                                .as("k=%d row %d feature %d", k, r, j)
                                .isCloseTo(dense[j], within(1e-5f));
                }
            }
        }
    }

    @Test
    void sampleFiguresAreDefined() {
        SaeParameters p = SaeParameters.initialise(8, 32, 1);
        float[] x = new float[16 * 8];
        SplittableRandom random = new SplittableRandom(2);
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        SampleGeometry.Figures f = SampleGeometry.measure(p, x, 16, 0);
        assertThat(f.shrinkage()).isPositive();
        assertThat(f.coherence().max()).isBetween(0.0, 1.0 + 1e-9);
        assertThat(f.active().rows()).isPositive();
        assertThat(SampleGeometry.measure(p, x, 16, 0, false).coherence()).isNull();
    }
}
