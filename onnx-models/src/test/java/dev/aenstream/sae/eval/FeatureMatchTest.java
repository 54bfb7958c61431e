package dev.aenstream.sae.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Feature identity across versions: a permuted, slightly moved dictionary is matched back to the
 * permutation; features replaced by fresh atoms come out new; a feature that kept its id keeps it.
 */
class FeatureMatchTest {
    private static final int N = 24;

    @Test
    void aPermutedDictionaryWithReplacedFeaturesIsMatchedBack() {
        permutedAndReplaced(60);
    }

    @Test
    void beyondTheExactAssignmentTheGreedyOneMatchesAPermutationToo() {
        permutedAndReplaced(FeatureMatch.MAX_HUNGARIAN + 100);
    }

    private static void permutedAndReplaced(int d) {
        Random random = new Random(9);
        float[] prev = atoms(random, d);
        List<Integer> perm = new ArrayList<>();
        for (int j = 0; j < d; j++) perm.add(j);
        Collections.shuffle(perm, random);
        // next feature j is prev feature perm[j], moved a little; the last five are fresh.
        float[] next = new float[N * d];
        for (int j = 0; j < d; j++)
            for (int i = 0; i < N; i++)
                next[i * d + j] =
                        j >= d - 5
                                ? (float) random.nextGaussian()
                                : prev[i * d + perm.get(j)] + 0.05f * (float) random.nextGaussian();
        FeatureMatch m = FeatureMatch.of(prev, d, next, d, N, FeatureMatch.DEFAULT_MIN_COS);
        for (int j = 0; j < d - 5; j++) {
            assertThat(m.previous()[j]).as("feature %d", j).isEqualTo(perm.get(j));
            assertThat(m.cos()[j]).isGreaterThan(0.9f);
        }
        for (int j = d - 5; j < d; j++) assertThat(m.previous()[j]).as("fresh %d", j).isEqualTo(-1);
        assertThat(m.continued()).isEqualTo(d - 5);
    }

    @Test
    void aGrownDictionaryKeepsItsIdsAndItsNewFeaturesAreNew() {
        Random random = new Random(2);
        float[] prev = atoms(random, 20);
        float[] next = atoms(random, 30);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < 20; j++) next[i * 30 + j] = prev[i * 20 + j];
        FeatureMatch m = FeatureMatch.of(prev, 20, next, 30, N, FeatureMatch.DEFAULT_MIN_COS);
        for (int j = 0; j < 20; j++) assertThat(m.previous()[j]).isEqualTo(j);
        assertThat(m.continued()).isEqualTo(20);
    }

    private static float[] atoms(Random random, int d) {
        float[] w = new float[N * d];
        for (int i = 0; i < w.length; i++) w[i] = (float) random.nextGaussian();
        return w;
    }
}
