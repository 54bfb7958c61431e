package dev.aenstream.sae.eval;

import java.util.Arrays;
import java.util.Random;

/**
 * p-SNE (Poisson Stochastic Neighbor Embedding, Mudrik & Charles): a 2-D map of count vectors, here
 * each feature's fire counts over the latest statistics windows. Neighbours are judged by the
 * symmetrised KL divergence between the Poisson distributions the counts estimate, not by Euclidean
 * distance, which treats the many zeros of low-rate counts as informative; the map is fitted by the
 * Hellinger distance between the neighbour distributions P and the map's Student-t Q. {@link #tsne}
 * is plain t-SNE on the same counts, for comparison (docs/pSNE.md).
 *
 * <p>Cost: O(m² T) for the affinities and O(m²) per iteration for m points and T windows, whatever
 * the dictionary's size: a map of a larger dictionary embeds a uniform sample of {@link
 * Config#maxPoints} features ({@link #sample}) and the rest are not drawn. Sampling rather than
 * Barnes–Hut, because a map of hundreds of thousands of points is not readable anyway; at the
 * default 1,000 points a fit takes about 4 s on one core here.
 */
public final class PoissonSne {
    private PoissonSne() {}

    /**
     * Settings of a fit.
     *
     * @param perplexity effective neighbours per point
     * @param iterations gradient steps
     * @param learningRate step size of the gradient descent (with momentum and per-coordinate
     *     gains, as in t-SNE)
     * @param rateFloor added to every count before it is read as a Poisson rate, so that a zero
     *     count is a low rate rather than an infinite divergence
     * @param maxPoints the most points embedded; larger inputs are sampled
     */
    public record Config(
            double perplexity,
            int iterations,
            double learningRate,
            double rateFloor,
            int maxPoints,
            long seed) {
        public static final double DEFAULT_PERPLEXITY = 15;
        public static final int DEFAULT_ITERATIONS = 600;
        public static final int DEFAULT_MAX_POINTS = 1_000;

        public Config {
            if (!(perplexity >= 1)) throw new IllegalArgumentException("perplexity must be >= 1");
            if (iterations <= 0) throw new IllegalArgumentException("iterations must be positive");
            if (!(learningRate > 0))
                throw new IllegalArgumentException("learning rate must be positive");
            if (!(rateFloor > 0)) throw new IllegalArgumentException("rate floor must be positive");
            if (maxPoints < 2) throw new IllegalArgumentException("need at least 2 points");
        }

        public static Config defaults() {
            return new Config(
                    DEFAULT_PERPLEXITY, DEFAULT_ITERATIONS, 200, 0.1, DEFAULT_MAX_POINTS, 1);
        }
    }

    /** Indices of at most {@code max} of {@code m} points, a uniform sample in increasing order. */
    public static int[] sample(int m, int max, long seed) {
        int[] all = new int[m];
        for (int i = 0; i < m; i++) all[i] = i;
        if (m <= max) return all;
        Random random = new Random(seed);
        for (int i = 0; i < max; i++) {
            int j = i + random.nextInt(m - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] picked = Arrays.copyOf(all, max);
        Arrays.sort(picked);
        return picked;
    }

    /**
     * Symmetrised Poisson KL divergence between rows: ½ Σ_t (a_t − b_t) ln(a_t / b_t) with rates a
     * = x_i + floor, b = x_j + floor.
     */
    public static double[][] poissonDivergences(double[][] counts, double rateFloor) {
        int m = counts.length;
        int t = counts[0].length;
        double[][] logs = new double[m][t];
        for (int i = 0; i < m; i++)
            for (int w = 0; w < t; w++) logs[i][w] = Math.log(counts[i][w] + rateFloor);
        double[][] d = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
                double s = 0;
                for (int w = 0; w < t; w++)
                    s += (counts[i][w] - counts[j][w]) * (logs[i][w] - logs[j][w]);
                d[i][j] = d[j][i] = s / 2;
            }
        }
        return d;
    }

    /** Squared Euclidean distances between rows, t-SNE's dissimilarity. */
    public static double[][] squaredDistances(double[][] x) {
        int m = x.length;
        double[][] d = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
                double s = 0;
                for (int w = 0; w < x[i].length; w++)
                    s += (x[i][w] - x[j][w]) * (x[i][w] - x[j][w]);
                d[i][j] = d[j][i] = s;
            }
        }
        return d;
    }

    /**
     * Joint neighbour probabilities from dissimilarities: p_{j|i} ∝ exp(−β_i d_ij) with β_i found
     * by bisection so that each row's perplexity is the given one, then P = (p_{j|i} + p_{i|j}) /
     * 2m.
     */
    public static double[][] affinities(double[][] d, double perplexity) {
        int m = d.length;
        double target = Math.log(Math.min(perplexity, m - 1));
        double[][] p = new double[m][m];
        for (int i = 0; i < m; i++) {
            double lo = 0;
            double hi = Double.POSITIVE_INFINITY;
            double beta = 1;
            double min = Double.POSITIVE_INFINITY;
            for (int j = 0; j < m; j++) if (j != i) min = Math.min(min, d[i][j]);
            for (int step = 0; step < 100; step++) {
                double sum = 0;
                double weighted = 0;
                for (int j = 0; j < m; j++) {
                    if (j == i) continue;
                    // Shifted by the nearest dissimilarity so that exp never underflows to 0 / 0.
                    double e = Math.exp(-beta * (d[i][j] - min));
                    p[i][j] = e;
                    sum += e;
                    weighted += e * (d[i][j] - min);
                }
                double entropy = Math.log(sum) + beta * weighted / sum;
                for (int j = 0; j < m; j++) p[i][j] /= sum;
                if (Math.abs(entropy - target) < 1e-5) break;
                if (entropy > target) {
                    lo = beta;
                    beta = hi == Double.POSITIVE_INFINITY ? beta * 2 : (beta + hi) / 2;
                } else {
                    hi = beta;
                    beta = (beta + lo) / 2;
                }
            }
        }
        double[][] joint = new double[m][m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++) joint[i][j] = (p[i][j] + p[j][i]) / (2.0 * m);
        return joint;
    }

    /**
     * The p-SNE map of {@code counts}, a row per point: at most {@link Config#maxPoints} of them
     * ({@link #sample} first).
     */
    public static double[][] psne(double[][] counts, Config config) {
        checkSize(counts, config);
        double[][] p =
                affinities(poissonDivergences(counts, config.rateFloor()), config.perplexity());
        return fit(p, config, false);
    }

    /** The t-SNE map of the same rows (Euclidean affinities, KL objective), for comparison. */
    public static double[][] tsne(double[][] x, Config config) {
        checkSize(x, config);
        return fit(affinities(squaredDistances(x), config.perplexity()), config, true);
    }

    private static void checkSize(double[][] rows, Config config) {
        if (rows.length < 2 || rows.length > config.maxPoints())
            throw new IllegalArgumentException(
                    "a map needs 2 to "
                            + config.maxPoints()
                            + " points, got "
                            + rows.length
                            + ": sample() picks a subset");
    }

    private static double[][] fit(double[][] p, Config config, boolean kl) {
        int m = p.length;
        Random random = new Random(config.seed());
        double[][] y = new double[m][2];
        for (double[] row : y) {
            row[0] = random.nextGaussian() * 1e-2;
            row[1] = random.nextGaussian() * 1e-2;
        }
        double[][] velocity = new double[m][2];
        double[][] gains = new double[m][2];
        for (double[] g : gains) Arrays.fill(g, 1);
        // t-SNE's schedule: momentum 0.5 then 0.8, early exaggeration of P for the first quarter.
        int early = config.iterations() / 4;
        double[][] grad = new double[m][2];
        Hellinger hellinger = kl ? null : new Hellinger(roots(p));
        double[] w = kl ? null : new double[m * m];
        for (int it = 0; it < config.iterations(); it++) {
            double exaggeration = it < early ? 4 : 1;
            if (kl) klGradient(p, y, exaggeration, grad);
            else hellinger.gradient(y, exaggeration, w, grad);
            double momentum = it < early ? 0.5 : 0.8;
            for (int i = 0; i < m; i++) {
                for (int c = 0; c < 2; c++) {
                    boolean same = Math.signum(grad[i][c]) == Math.signum(velocity[i][c]);
                    gains[i][c] = Math.max(0.01, same ? gains[i][c] * 0.8 : gains[i][c] + 0.2);
                    velocity[i][c] =
                            momentum * velocity[i][c]
                                    - config.learningRate() * gains[i][c] * grad[i][c];
                    y[i][c] += velocity[i][c];
                }
            }
        }
        return y;
    }

    /**
     * Hellinger distance² between P and the map's Q: Σ (√p_ij − √q_ij)² = 2 − 2 Σ √(p_ij q_ij),
     * with q_ij = w_ij / Z, w_ij = 1 / (1 + |y_i − y_j|²).
     */
    static double hellinger(double[][] p, double[][] y) {
        int m = p.length;
        double z = 0;
        double s = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                if (i == j) continue;
                double w = kernel(y, i, j);
                z += w;
                s += Math.sqrt(p[i][j] * w);
            }
        }
        return 2 - 2 * s / Math.sqrt(z);
    }

    /**
     * The gradient of {@link #hellinger} in y, with the attraction of P scaled by {@code
     * exaggeration}: for S = Σ √(p_ij w_ij), ∂/∂y_i = (4/√Z) Σ_j √p_ij w_ij^{3/2} (y_i − y_j) − 4 S
     * Z^{−3/2} Σ_j w_ij² (y_i − y_j).
     */
    static void hellingerGradient(double[][] p, double[][] y, double exaggeration, double[][] out) {
        int m = p.length;
        double[] w = new double[m * m];
        new Hellinger(roots(p)).gradient(y, exaggeration, w, out);
    }

    /** √p per pair, row-major. */
    private static double[] roots(double[][] p) {
        int m = p.length;
        double[] r = new double[m * m];
        for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) r[i * m + j] = Math.sqrt(p[i][j]);
        return r;
    }

    /** The Hellinger gradient over pairs i < j, each pair's kernel computed once per step. */
    private record Hellinger(double[] rootP) {
        void gradient(double[][] y, double exaggeration, double[] w, double[][] out) {
            int m = y.length;
            double z = 0;
            double s = 0;
            for (int i = 0; i < m; i++) {
                for (int j = i + 1; j < m; j++) {
                    double dx = y[i][0] - y[j][0];
                    double dy = y[i][1] - y[j][1];
                    double k = 1 / (1 + dx * dx + dy * dy);
                    w[i * m + j] = k;
                    z += 2 * k;
                    s += 2 * rootP[i * m + j] * Math.sqrt(k);
                }
            }
            double root = Math.sqrt(z);
            double attract = exaggeration * 4 / root;
            double repel = 4 * s / (z * root);
            for (double[] o : out) java.util.Arrays.fill(o, 0);
            for (int i = 0; i < m; i++) {
                for (int j = i + 1; j < m; j++) {
                    double k = w[i * m + j];
                    double f = attract * rootP[i * m + j] * k * Math.sqrt(k) - repel * k * k;
                    double gx = f * (y[i][0] - y[j][0]);
                    double gy = f * (y[i][1] - y[j][1]);
                    out[i][0] += gx;
                    out[i][1] += gy;
                    out[j][0] -= gx;
                    out[j][1] -= gy;
                }
            }
        }
    }

    /** t-SNE's gradient of KL(P || Q): 4 Σ_j (α p_ij − q_ij) w_ij (y_i − y_j). */
    private static void klGradient(
            double[][] p, double[][] y, double exaggeration, double[][] out) {
        int m = p.length;
        double z = 0;
        for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) if (i != j) z += kernel(y, i, j);
        for (int i = 0; i < m; i++) {
            double gx = 0, gy = 0;
            for (int j = 0; j < m; j++) {
                if (i == j) continue;
                double w = kernel(y, i, j);
                double f = (exaggeration * p[i][j] - w / z) * w;
                gx += f * (y[i][0] - y[j][0]);
                gy += f * (y[i][1] - y[j][1]);
            }
            out[i][0] = 4 * gx;
            out[i][1] = 4 * gy;
        }
    }

    private static double kernel(double[][] y, int i, int j) {
        double dx = y[i][0] - y[j][0];
        double dy = y[i][1] - y[j][1];
        return 1 / (1 + dx * dx + dy * dy);
    }

    /**
     * Neighbourhood purity: over all points, the share of each point's {@code k} nearest map
     * neighbours that carry its label.
     */
    public static double purity(double[][] y, int[] labels, int k) {
        int m = y.length;
        double total = 0;
        Integer[] order = new Integer[m];
        double[] dist = new double[m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                order[j] = j;
                double dx = y[i][0] - y[j][0];
                double dy = y[i][1] - y[j][1];
                dist[j] = j == i ? Double.POSITIVE_INFINITY : dx * dx + dy * dy;
            }
            Arrays.sort(order, (a, b) -> Double.compare(dist[a], dist[b]));
            int same = 0;
            for (int n = 0; n < k; n++) if (labels[order[n]] == labels[i]) same++;
            total += (double) same / k;
        }
        return total / m;
    }
}
