package dev.aenstream.sae.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HungarianTest {

    /** Minimum cost over every injective assignment of rows to columns. */
    private static double bruteForce(double[] cost, int rows, int cols, int row, boolean[] used) {
        if (row == rows) return 0;
        double best = Double.POSITIVE_INFINITY;
        for (int c = 0; c < cols; c++) {
            if (used[c]) continue;
            used[c] = true;
            best =
                    Math.min(
                            best,
                            cost[row * cols + c] + bruteForce(cost, rows, cols, row + 1, used));
            used[c] = false;
        }
        return best;
    }

    @Test
    void findsTheOptimumOfEverySmallProblem() {
        SplittableRandom random = new SplittableRandom(11);
        for (int trial = 0; trial < 300; trial++) {
            int rows = 1 + random.nextInt(6);
            int cols = rows + random.nextInt(3);
            double[] cost = new double[rows * cols];
            for (int i = 0; i < cost.length; i++)
                cost[i] = random.nextInt(4) == 0 ? random.nextInt(3) : random.nextDouble() * 10 - 5;
            int[] assignment = Hungarian.assign(cost, rows, cols);
            Set<Integer> columns = new HashSet<>();
            double total = 0;
            for (int r = 0; r < rows; r++) {
                assertThat(assignment[r]).isBetween(0, cols - 1);
                columns.add(assignment[r]);
                total += cost[r * cols + assignment[r]];
            }
            assertThat(columns).hasSize(rows);
            assertThat(total)
                    .isCloseTo(
                            bruteForce(cost, rows, cols, 0, new boolean[cols]),
                            org.assertj.core.data.Offset.offset(1e-9));
        }
    }

    @Test
    void aPermutedDictionaryMatchesPerfectly() {
        int n = 8, d = 6;
        SplittableRandom random = new SplittableRandom(2);
        float[] truth = new float[d * n];
        for (int i = 0; i < truth.length; i++) truth[i] = (float) random.nextGaussian();
        int[] perm = {3, 0, 5, 1, 4, 2};
        float[] wDec = new float[n * d];
        for (int a = 0; a < d; a++) {
            double norm = 0;
            for (int i = 0; i < n; i++) norm += truth[a * n + i] * truth[a * n + i];
            for (int i = 0; i < n; i++)
                wDec[i * d + perm[a]] =
                        (float) ((a % 2 == 0 ? 1 : -1) * truth[a * n + i] / Math.sqrt(norm));
        }
        var params =
                new dev.aenstream.sae.SaeParameters(
                        n, d, new float[d * n], new float[d], wDec, new float[n]);
        DictionaryMatch match = DictionaryMatch.of(params, truth, d);
        assertThat(match.trueToLearned()).containsExactly(perm);
        assertThat(match.dictCos()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));

        // Two rows with true supports {0, 1} and {2}; codes fire on the matched features plus one
        // stray.
        float[] codes = new float[2 * d];
        codes[perm[0]] = 1;
        codes[perm[1]] = 2;
        codes[perm[5]] = 0.5f;
        codes[d + perm[2]] = 1;
        var s = match.support(codes, 2, d, new int[] {0, 1, 2, -1}, 2);
        assertThat(s.precision()).isCloseTo(3 / 4.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(s.recall()).isCloseTo(3 / 4.0, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void withFewerLearnedFeaturesEachIsMatchedToADistinctTrueAtom() {
        int n = 4, atoms = 3, d = 2;
        float[] truth = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
        // Learned feature 0 is true atom 2, learned feature 1 is true atom 0.
        float[] wDec = new float[n * d];
        wDec[2 * d] = 1;
        wDec[0 * d + 1] = -1;
        var params =
                new dev.aenstream.sae.SaeParameters(
                        n, d, new float[d * n], new float[d], wDec, new float[n]);
        DictionaryMatch match = DictionaryMatch.of(params, truth, atoms);
        assertThat(match.trueToLearned()).containsExactly(1, -1, 0);
        assertThat(match.dictCos()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    }

    /** The cost matrices of fixtures/hungarian.py, from the same integer hash. */
    private static double[] hashed(String kind, int rows, int cols, long seed) {
        long mask = 0xFFFFFFFFL;
        double[] cost = new double[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                long h = (i * 2654435761L + j * 40503L + seed * 97L) & mask;
                h = ((h ^ (h >>> 15)) * 2246822519L) & mask;
                h ^= h >>> 13;
                cost[i * cols + j] =
                        kind.equals("ties") ? (h % 1000) / 100.0 - 5 : (h % 1000003) / 1000003.0;
            }
        return cost;
    }

    @Test
    void matchesScipysOptimumOnLargerProblems() throws Exception {
        JsonNode cases =
                new ObjectMapper().readTree(getClass().getResource("/fixtures/hungarian.json"));
        assertThat(cases).hasSize(5);
        for (JsonNode c : cases) {
            int rows = c.get("rows").asInt();
            int cols = c.get("cols").asInt();
            double[] cost = hashed(c.get("kind").asText(), rows, cols, c.get("seed").asLong());
            int[] assignment = Hungarian.assign(cost, rows, cols);
            Set<Integer> columns = new HashSet<>();
            double total = 0;
            for (int r = 0; r < rows; r++) {
                columns.add(assignment[r]);
                total += cost[r * cols + assignment[r]];
            }
            assertThat(columns).as(c.toString()).hasSize(rows);
            assertThat(total)
                    .as(c.toString())
                    .isCloseTo(
                            c.get("total").asDouble(), org.assertj.core.data.Offset.offset(1e-9));
        }
    }

    @Test
    void aNanCostIsAPairThatCannotBeAssigned() {
        double nan = Double.NaN;
        // Row 0's cheapest pair is NaN: it takes column 1, row 1 the column left.
        assertThat(Hungarian.assign(new double[] {nan, 2, 1, 5}, 2, 2)).containsExactly(1, 0);
        assertThatThrownBy(() -> Hungarian.assign(new double[] {nan, nan, 1, 5}, 2, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("row 0");
    }
}
