package dev.aenstream.produce.synthetic;

import java.util.SplittableRandom;

/**
 * Generates the spiked synthetic stream of {@link SpikedConfig}; not thread-safe, one per producer.
 */
public final class SpikedGenerator {
    private final SpikedConfig config;

    /**
     * True atoms, each in an array of its own: C2 (Java 17) vectorises {@code row[i] += m *
     * atom[i]} but not the same sum between offsets into float arrays that might overlap, which ran
     * ten times slower and took a third of a sparse paper-grid run's Java time.
     */
    private final float[][] atoms;

    private final SplittableRandom random;
    private final int[] pool;

    /** The row being drawn, in an array of its own for the same reason. */
    private final float[] row;

    public SpikedGenerator(SpikedConfig config) {
        this.config = config;
        SplittableRandom dictRandom = new SplittableRandom(config.get(SpikedConfig.SEED));
        int n = config.get(SpikedConfig.N);
        double[] spike = unitGaussian(dictRandom, n);
        this.atoms = new float[config.get(SpikedConfig.ATOMS)][n];
        double a = Math.sqrt(1 - config.get(SpikedConfig.RHO));
        double b = Math.sqrt(config.get(SpikedConfig.RHO));
        double[] atom = new double[n];
        for (int j = 0; j < config.get(SpikedConfig.ATOMS); j++) {
            double[] u = unitGaussian(dictRandom, n);
            double sq = 0;
            for (int i = 0; i < n; i++) {
                atom[i] = a * u[i] + b * spike[i];
                sq += atom[i] * atom[i];
            }
            double inv = 1 / Math.sqrt(sq);
            for (int i = 0; i < n; i++) atoms[j][i] = (float) (atom[i] * inv);
        }
        // Samples draw from their own stream, so the dictionary does not depend on how many samples
        // were taken.
        this.random = dictRandom.split();
        this.pool = new int[config.get(SpikedConfig.ATOMS)];
        for (int j = 0; j < pool.length; j++) pool[j] = j;
        this.row = new float[n];
    }

    private static double[] unitGaussian(SplittableRandom random, int n) {
        double[] v = new double[n];
        double sq = 0;
        for (int i = 0; i < n; i++) {
            v[i] = gaussian(random);
            sq += v[i] * v[i];
        }
        double inv = 1 / Math.sqrt(sq);
        for (int i = 0; i < n; i++) v[i] *= inv;
        return v;
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
        double u1 = 1 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    public SpikedConfig config() {
        return config;
    }

    /** A copy of the true dictionary, atom j at [j * n, (j+1) * n). */
    public float[] dictionary() {
        int n = config.get(SpikedConfig.N);
        float[] dictionary = new float[Math.multiplyExact(atoms.length, n)];
        for (int j = 0; j < atoms.length; j++) System.arraycopy(atoms[j], 0, dictionary, j * n, n);
        return dictionary;
    }

    /**
     * Fills {@code rows} samples into {@code x} from {@code offset}; see {@link #next(float[], int,
     * int, int[], float[])}.
     */
    public void next(float[] x, int offset, int rows) {
        next(x, offset, rows, null, null);
    }

    /**
     * Fills {@code rows} samples into {@code x} from {@code offset}. When {@code support} and
     * {@code magnitudes} are given (room for rows * k each), the true active atoms and their
     * magnitudes are written there too.
     */
    public void next(float[] x, int offset, int rows, int[] support, float[] magnitudes) {
        fill(random, x, offset, rows, support, magnitudes);
    }

    /**
     * Fills batch number {@code index} of a stream of {@code rows}-row batches, the same whatever
     * was generated before: a resumed training run sees exactly the batches an uninterrupted one
     * would.
     */
    public void batch(long index, float[] x, int rows, int[] support, float[] magnitudes) {
        for (int j = 0; j < pool.length; j++) pool[j] = j;
        // A distinct, well-mixed stream per index (golden-ratio increment, as SplittableRandom's
        // own).
        fill(
                new SplittableRandom(
                        config.get(SpikedConfig.SEED) * 0x9E3779B97F4A7C15L + index + 1),
                x,
                0,
                rows,
                support,
                magnitudes);
    }

    private void fill(
            SplittableRandom random,
            float[] x,
            int offset,
            int rows,
            int[] support,
            float[] magnitudes) {
        int n = config.get(SpikedConfig.N);
        int k = config.get(SpikedConfig.K);
        double noise = config.get(SpikedConfig.NOISE);
        double span = SpikedConfig.MAX_MAGNITUDE - SpikedConfig.MIN_MAGNITUDE;
        for (int r = 0; r < rows; r++) {
            java.util.Arrays.fill(row, 0f);
            // Partial Fisher-Yates: k distinct atoms, uniformly.
            for (int s = 0; s < k; s++) {
                int pick = s + random.nextInt(pool.length - s);
                int j = pool[pick];
                pool[pick] = pool[s];
                pool[s] = j;
                float magnitude = (float) (SpikedConfig.MIN_MAGNITUDE + span * random.nextDouble());
                if (support != null) {
                    support[r * k + s] = j;
                    magnitudes[r * k + s] = magnitude;
                }
                float[] atom = atoms[j];
                for (int i = 0; i < n; i++) row[i] += magnitude * atom[i];
            }
            if (noise > 0) {
                for (int i = 0; i < n; i++) row[i] += (float) (noise * gaussian(random));
            }
            System.arraycopy(row, 0, x, offset + r * n, n);
        }
    }
}
