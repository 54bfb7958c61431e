package dev.aenstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.aenstream.avro.FeatureStats;
import dev.aenstream.sae.ReferenceEncoder;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The statistics' fve and shrinkage against a dense reconstruction computed directly from the
 * parameters.
 */
class FeatureAccumulatorTest {
    private static final int N = 12;
    private static final int D = 30;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void fveAndShrinkageEqualADirectComputationAndMergeExactly(boolean normalised) {
        SaeParameters p = SaeParameters.initialise(N, D, 4);
        SplittableRandom random = new SplittableRandom(8);
        for (int i = 0; i < N; i++) p.bDec()[i] = (float) random.nextGaussian() * 0.2f;
        int rows = 40;
        float[] x = new float[rows * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) (random.nextGaussian() * (1 + i % N));

        // Dense codes from the reference encoder, made sparse by keeping every positive entry.
        int[] offsets = new int[rows + 1];
        int[] idx = new int[rows * D];
        float[] val = new float[rows * D];
        int[] active = new int[rows];
        double[][] xhat = new double[rows][N];
        double[][] xs = new double[rows][N];
        int e = 0;
        for (int r = 0; r < rows; r++) {
            double[] h = ReferenceEncoder.encode(p, x, r * N, normalised);
            double scale = 1;
            if (normalised) {
                double sq = 0;
                for (int i = 0; i < N; i++) sq += (double) x[r * N + i] * x[r * N + i];
                scale = Math.sqrt(N) / Math.sqrt(sq);
            }
            for (int i = 0; i < N; i++) {
                xs[r][i] = x[r * N + i] * scale;
                xhat[r][i] = p.bDec()[i];
                for (int j = 0; j < D; j++)
                    xhat[r][i] += (double) p.wDec()[i * D + j] * (float) h[j];
            }
            for (int j = 0; j < D; j++) {
                if (h[j] > 0) {
                    idx[e] = j;
                    val[e++] = (float) h[j];
                    active[r]++;
                }
            }
            offsets[r + 1] = e;
        }
        double unexplained = 0;
        double total = 0;
        for (int i = 0; i < N; i++) {
            double eMean = 0, xMean = 0;
            for (int r = 0; r < rows; r++) {
                eMean += (xs[r][i] - xhat[r][i]) / rows;
                xMean += xs[r][i] / rows;
            }
            for (int r = 0; r < rows; r++) {
                unexplained += Math.pow(xs[r][i] - xhat[r][i] - eMean, 2) / rows;
                total += Math.pow(xs[r][i] - xMean, 2) / rows;
            }
        }
        double expected = 1 - unexplained / total;
        double xL1 = 0;
        double xhatL1 = 0;
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < N; i++) {
                xL1 += Math.abs(xs[r][i]);
                xhatL1 += Math.abs(xhat[r][i]);
            }
        }
        double expectedShrinkage = xhatL1 / xL1;

        SparseCodes codes =
                new SparseCodes(
                        rows,
                        D,
                        offsets,
                        java.util.Arrays.copyOf(idx, e),
                        java.util.Arrays.copyOf(val, e),
                        active);
        SaeDecoder decoder = SaeDecoder.of(p);
        FeatureAccumulator whole = new FeatureAccumulator("aen", 1, D, 0);
        whole.add(codes);
        whole.addReconstruction(FloatBuffer.wrap(x), codes, decoder, normalised, 1);
        assertThat(whole.fve()).isCloseTo(expected, offset(1e-6));
        assertThat(whole.shrinkage()).isCloseTo(expectedShrinkage, offset(1e-6));

        // The same rows in two parts, merged, give the same fve.
        FeatureStats merged = null;
        for (int[] part : new int[][] {{0, 17}, {17, rows}}) {
            int from = part[0], to = part[1];
            int[] o = new int[to - from + 1];
            for (int r = from; r <= to; r++) o[r - from] = offsets[r] - offsets[from];
            SparseCodes c =
                    new SparseCodes(
                            to - from,
                            D,
                            o,
                            java.util.Arrays.copyOfRange(idx, offsets[from], offsets[to]),
                            java.util.Arrays.copyOfRange(val, offsets[from], offsets[to]),
                            java.util.Arrays.copyOfRange(active, from, to));
            FeatureAccumulator acc = new FeatureAccumulator("aen", 1, D, 0);
            acc.add(c);
            acc.addReconstruction(
                    FloatBuffer.wrap(java.util.Arrays.copyOfRange(x, from * N, to * N)),
                    c,
                    decoder,
                    normalised,
                    1);
            merged =
                    merged == null
                            ? acc.toRecord(1)
                            : FeatureAccumulator.merge(merged, acc.toRecord(1));
        }
        assertThat(merged.getFve()).isCloseTo(expected, offset(1e-6));
        assertThat(merged.getShrinkage()).isCloseTo(expectedShrinkage, offset(1e-6));
        assertThat(merged.getTokens()).isEqualTo(rows);
    }
}
