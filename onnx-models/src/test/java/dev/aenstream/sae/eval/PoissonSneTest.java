package dev.aenstream.sae.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * p-SNE against references: its Hellinger gradient against finite differences, and on synthetic
 * Poisson counts with planted clusters (low-rate fire counts over windows, as a dictionary's
 * features give) its map's neighbourhood purity, printed beside t-SNE's on the same counts.
 */
class PoissonSneTest {
    @Test
    void theHellingerGradientMatchesFiniteDifferences() {
        Random random = new Random(3);
        int m = 12;
        double[][] counts = plantedCounts(random, m, 3, 10, new int[m]);
        double[][] p = PoissonSne.affinities(PoissonSne.poissonDivergences(counts, 0.1), 4);
        double[][] y = new double[m][2];
        for (double[] row : y) {
            row[0] = random.nextGaussian();
            row[1] = random.nextGaussian();
        }
        double[][] grad = new double[m][2];
        PoissonSne.hellingerGradient(p, y, 1, grad);
        double h = 1e-6;
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < 2; c++) {
                double saved = y[i][c];
                y[i][c] = saved + h;
                double up = PoissonSne.hellinger(p, y);
                y[i][c] = saved - h;
                double down = PoissonSne.hellinger(p, y);
                y[i][c] = saved;
                assertThat(grad[i][c])
                        .isCloseTo(
                                (up - down) / (2 * h), org.assertj.core.data.Offset.offset(1e-7));
            }
        }
    }

    @Test
    void plantedClustersOfSparseCountsComeOutPure() {
        Random random = new Random(11);
        int clusters = 6;
        int m = 300;
        int[] labels = new int[m];
        // As many windows as the dashboard keeps per feature.
        double[][] counts = plantedCounts(random, m, clusters, 60, labels);
        PoissonSne.Config config = PoissonSne.Config.defaults();
        double[][] psne = PoissonSne.psne(counts, config);
        double[][] tsne = PoissonSne.tsne(counts, config);
        double pPurity = PoissonSne.purity(psne, labels, 10);
        double tPurity = PoissonSne.purity(tsne, labels, 10);
        System.out.printf(
                "planted clusters, purity of 10 nearest neighbours: p-SNE map %.3f, t-SNE map %.3f;"
                        + " in the counts themselves: by Poisson divergence %.3f, by Euclidean"
                        + " distance %.3f%n",
                pPurity,
                tPurity,
                knn(PoissonSne.poissonDivergences(counts, config.rateFloor()), labels, 10),
                knn(PoissonSne.squaredDistances(counts), labels, 10));
        assertThat(pPurity).as("p-SNE neighbourhood purity").isGreaterThanOrEqualTo(0.9);
    }

    /**
     * m points in {@code clusters} clusters; each cluster fires in its own windows at a low rate
     * (mostly zeros, as a rare feature does), each point at its own scale of that rate.
     */
    static double[][] plantedCounts(Random random, int m, int clusters, int windows, int[] labels) {
        double[][] rates = new double[clusters][windows];
        for (double[] r : rates)
            for (int w = 0; w < windows; w++) r[w] = random.nextDouble() < 0.3 ? 1.0 : 0.02;
        double[][] counts = new double[m][windows];
        for (int i = 0; i < m; i++) {
            labels[i] = i % clusters;
            double scale = 0.4 + 2 * random.nextDouble();
            for (int w = 0; w < windows; w++)
                counts[i][w] = poisson(random, rates[labels[i]][w] * scale);
        }
        return counts;
    }

    /** Neighbourhood purity by the given dissimilarities, before any map is made. */
    static double knn(double[][] d, int[] labels, int k) {
        int m = d.length;
        double total = 0;
        for (int i = 0; i < m; i++) {
            final int ii = i;
            Integer[] order = new Integer[m];
            for (int j = 0; j < m; j++) order[j] = j;
            java.util.Arrays.sort(
                    order,
                    (x, y) ->
                            Double.compare(x == ii ? 1e300 : d[ii][x], y == ii ? 1e300 : d[ii][y]));
            int same = 0;
            for (int n = 0; n < k; n++) if (labels[order[n]] == labels[i]) same++;
            total += (double) same / k;
        }
        return total / m;
    }

    private static int poisson(Random random, double rate) {
        double limit = Math.exp(-rate);
        double product = random.nextDouble();
        int k = 0;
        while (product > limit) {
            product *= random.nextDouble();
            k++;
        }
        return k;
    }
}
