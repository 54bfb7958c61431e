package dev.aenstream.bench;

import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.TensorValues;
import dev.aenstream.sae.onnx.WeightPrecision;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;

/**
 * A sparse-initialised SAE of any size that never exists whole in memory: encoder row j has {@link
 * #NONZEROS} entries at columns and values drawn from a hash of (seed, j), its atom is that row
 * normalised, so the package is written row by row and the codes of any row can be computed
 * directly, in D x {@value #NONZEROS} steps, to check what ONNX Runtime serves.
 */
public final class SyntheticSae {
    /** Non-zero entries per encoder row. */
    public static final int NONZEROS = 4;

    /** Every feature's bias: a little below zero, so about a third of the features fire. */
    static final float BIAS = -0.5f;

    private final int n;
    private final int d;
    private final long seed;

    public SyntheticSae(int n, int d, long seed) {
        if (n < NONZEROS || d <= 0)
            throw new IllegalArgumentException(
                    "a synthetic SAE needs n >= " + NONZEROS + " and D > 0, got " + n + ", " + d);
        this.n = n;
        this.d = d;
        this.seed = seed;
    }

    public int n() {
        return n;
    }

    public int d() {
        return d;
    }

    /** Bytes of one [D, n] float matrix: W_enc, and the atoms. */
    public long matrixBytes() {
        return (long) d * n * Float.BYTES;
    }

    /** The encoder's and the decoder's weights, written as a package writes them. */
    public EncoderGraph.Weights weights() {
        float[] zeros = new float[n];
        return new EncoderGraph.Weights(
                n,
                d,
                rows(false),
                TensorValues.generated(d, j -> BIAS),
                TensorValues.of(zeros),
                rows(true),
                TensorValues.of(zeros));
    }

    /** Column of entry {@code t} of row {@code j}. */
    private int column(long j, int t) {
        return (int) Long.remainderUnsigned(mix(seed, j, t), n);
    }

    /** Value of entry {@code t} of row {@code j}, in [-1, 1). */
    private float value(long j, int t) {
        return (float) ((mix(seed ^ 0x5DEECE66DL, j, t) >>> 11) * 0x1.0p-53 * 2 - 1);
    }

    /**
     * Row j's entries with entries that share a column summed, as the matrix holds them: their
     * count; columns and weights in {@code cols} and {@code weights}.
     */
    private int entries(long j, int[] cols, float[] weights) {
        int m = 0;
        for (int t = 0; t < NONZEROS; t++) {
            int c = column(j, t);
            float v = value(j, t);
            int u = 0;
            while (u < m && cols[u] != c) u++;
            if (u < m) weights[u] += v;
            else {
                cols[m] = c;
                weights[m++] = v;
            }
        }
        return m;
    }

    /** Row j of W_enc, or its atom (the row divided by its norm), as n floats. */
    private void row(long j, boolean atom, float[] into, int[] cols, float[] weights) {
        Arrays.fill(into, 0f);
        int m = entries(j, cols, weights);
        double sq = 0;
        for (int u = 0; u < m; u++) sq += (double) weights[u] * weights[u];
        float scale = atom ? (float) (1 / Math.max(Math.sqrt(sq), 1e-12)) : 1f;
        for (int u = 0; u < m; u++) into[cols[u]] = atom ? weights[u] * scale : weights[u];
    }

    private TensorValues rows(boolean atoms) {
        return new TensorValues() {
            @Override
            public long bytes() {
                return matrixBytes();
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                float[] row = new float[n];
                int[] cols = new int[NONZEROS];
                float[] weights = new float[NONZEROS];
                // A block of rows per write: ONNX Runtime's reader and the chunker like large
                // writes, and a block is small next to the matrix.
                int perBlock = Math.max(1, (1 << 20) / n);
                float[] block = new float[perBlock * n];
                for (long j = 0; j < d; j += perBlock) {
                    int count = (int) Math.min(perBlock, d - j);
                    for (int r = 0; r < count; r++) {
                        row(j + r, atoms, row, cols, weights);
                        System.arraycopy(row, 0, block, r * n, n);
                    }
                    TensorValues.of(count == perBlock ? block : Arrays.copyOf(block, count * n))
                            .writeTo(out);
                }
            }
        };
    }

    /**
     * The dense codes of one row, computed directly: {@code h_j = ReLU(sum_t W[j, c_jt] x[c_jt] +
     * b_j)}, with the weights as {@code stored} keeps them.
     */
    public float[] encode(float[] x, int offset, WeightPrecision stored) {
        float[] h = new float[d];
        int[] cols = new int[NONZEROS];
        float[] weights = new float[NONZEROS];
        for (int j = 0; j < d; j++) {
            double acc = BIAS;
            int m = entries(j, cols, weights);
            for (int u = 0; u < m; u++)
                acc += (double) stored.round(weights[u]) * x[offset + cols[u]];
            h[j] = (float) Math.max(0, acc);
        }
        return h;
    }

    /** The indices of the {@code k} largest codes, largest first (ties by index). */
    public static int[] topK(float[] h, int k) {
        return java.util.stream.IntStream.range(0, h.length)
                .boxed()
                .sorted((a, b) -> h[a] != h[b] ? Float.compare(h[b], h[a]) : Integer.compare(a, b))
                .limit(k)
                .filter(j -> h[j] > 0)
                .mapToInt(Integer::intValue)
                .toArray();
    }

    private static long mix(long seed, long j, int t) {
        long z = seed + j * 0x9E3779B97F4A7C15L + t * 0xC2B2AE3D27D4EB4FL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
