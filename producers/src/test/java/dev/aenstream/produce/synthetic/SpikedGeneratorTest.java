package dev.aenstream.produce.synthetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SpikedGeneratorTest {

    @Test
    void theSameSeedGivesTheSameStream() {
        SpikedConfig config =
                SpikedConfig.builder()
                        .set(SpikedConfig.N, 32)
                        .set(SpikedConfig.ATOMS, 64)
                        .set(SpikedConfig.K, 4)
                        .set(SpikedConfig.RHO, 0.5)
                        .set(SpikedConfig.NOISE, 0.01)
                        .set(SpikedConfig.SEED, 42)
                        .build();
        float[] a = new float[10 * 32];
        float[] b = new float[10 * 32];
        new SpikedGenerator(config).next(a, 0, 10);
        new SpikedGenerator(config).next(b, 0, 10);
        assertThat(a).containsExactly(b);
        float[] c = new float[10 * 32];
        new SpikedGenerator(
                        SpikedConfig.builder()
                                .set(SpikedConfig.N, 32)
                                .set(SpikedConfig.ATOMS, 64)
                                .set(SpikedConfig.K, 4)
                                .set(SpikedConfig.RHO, 0.5)
                                .set(SpikedConfig.NOISE, 0.01)
                                .set(SpikedConfig.SEED, 43)
                                .build())
                .next(c, 0, 10);
        assertThat(Arrays.equals(a, c)).isFalse();
    }

    /**
     * The rows every committed experiment (docs/results/) trained on, pinned bit for bit: a change
     * to how they are computed must not change them.
     */
    @Test
    void thePaperPresetsRowsAreTheOnesTheCommittedResultsWereDrawnFrom() throws Exception {
        SpikedConfig paper = SpikedConfig.builder().set(SpikedConfig.RHO, 0.3).build();
        SpikedGenerator gen = new SpikedGenerator(paper);
        int rows = 256;
        float[] x = new float[rows * paper.get(SpikedConfig.N)];
        int[] support = new int[rows * paper.get(SpikedConfig.K)];
        float[] magnitudes = new float[support.length];
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        for (long index : new long[] {0, 12_345, Long.MAX_VALUE / 2}) {
            gen.batch(index, x, rows, support, magnitudes);
            digest(sha, x);
            digest(sha, magnitudes);
            digest(sha, support);
        }
        SpikedConfig noisy =
                SpikedConfig.builder()
                        .set(SpikedConfig.RHO, 0.9)
                        .set(SpikedConfig.NOISE, 0.05)
                        .set(SpikedConfig.SEED, 3)
                        .build();
        new SpikedGenerator(noisy).next(x, 0, rows);
        digest(sha, x);
        assertThat(java.util.HexFormat.of().formatHex(sha.digest()))
                .isEqualTo("8078cbeb1ac2624db7ce2ba670ff08ba2767d6456205bee576bb50a6a3cf24e1");
    }

    private static void digest(java.security.MessageDigest sha, float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) bits[i] = Float.floatToRawIntBits(values[i]);
        digest(sha, bits);
    }

    private static void digest(java.security.MessageDigest sha, int[] values) {
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(4 * values.length);
        bytes.asIntBuffer().put(values);
        sha.update(bytes.array());
    }

    @Test
    void atomsAreUnitAndShareTheSpikeAsRhoSays() {
        for (double rho : new double[] {0, 0.5, 0.9}) {
            SpikedGenerator gen =
                    new SpikedGenerator(
                            SpikedConfig.builder()
                                    .set(SpikedConfig.N, 256)
                                    .set(SpikedConfig.ATOMS, 200)
                                    .set(SpikedConfig.K, 16)
                                    .set(SpikedConfig.RHO, rho)
                                    .set(SpikedConfig.SEED, 1)
                                    .build());
            float[] dict = gen.dictionary();
            double cosSum = 0;
            int pairs = 0;
            for (int a = 0; a < 200; a++) {
                double norm = 0;
                for (int i = 0; i < 256; i++) norm += dict[a * 256 + i] * dict[a * 256 + i];
                assertThat(norm).isCloseTo(1, offset(1e-5));
                for (int b = a + 1; b < 200; b++) {
                    double dot = 0;
                    for (int i = 0; i < 256; i++) dot += dict[a * 256 + i] * dict[b * 256 + i];
                    cosSum += dot;
                    pairs++;
                }
            }
            // E[cos] = rho for independent u_j: the shared spike is the only common direction.
            assertThat(cosSum / pairs).as("rho=%s", rho).isCloseTo(rho, offset(0.02));
        }
    }

    @Test
    void everySampleIsExactlyKDistinctAtomsWithMagnitudesInRange() {
        SpikedConfig config =
                SpikedConfig.builder()
                        .set(SpikedConfig.N, 16)
                        .set(SpikedConfig.ATOMS, 40)
                        .set(SpikedConfig.K, 5)
                        .set(SpikedConfig.RHO, 0.3)
                        .set(SpikedConfig.SEED, 7)
                        .build();
        SpikedGenerator gen = new SpikedGenerator(config);
        int rows = 200;
        float[] x = new float[rows * 16];
        int[] support = new int[rows * 5];
        float[] mags = new float[rows * 5];
        gen.next(x, 0, rows, support, mags);
        float[] dictionary = gen.dictionary();
        for (int r = 0; r < rows; r++) {
            Set<Integer> atoms = new HashSet<>();
            double[] expected = new double[16];
            for (int s = 0; s < 5; s++) {
                atoms.add(support[r * 5 + s]);
                assertThat(mags[r * 5 + s]).isBetween(1f, 3f);
                for (int i = 0; i < 16; i++)
                    expected[i] += mags[r * 5 + s] * dictionary[support[r * 5 + s] * 16 + i];
            }
            assertThat(atoms).hasSize(5);
            for (int i = 0; i < 16; i++)
                assertThat((double) x[r * 16 + i]).isCloseTo(expected[i], offset(1e-4));
        }
    }

    @Test
    void invalidConfigurationIsRefusedWithTheReason() {
        assertThatThrownBy(
                        () ->
                                SpikedConfig.builder()
                                        .set(SpikedConfig.N, 16)
                                        .set(SpikedConfig.ATOMS, 4)
                                        .set(SpikedConfig.K, 5)
                                        .set(SpikedConfig.SEED, 0)
                                        .build())
                .hasMessageContaining("k must be in 1..4");
        assertThatThrownBy(
                        () ->
                                SpikedConfig.builder()
                                        .set(SpikedConfig.N, 16)
                                        .set(SpikedConfig.ATOMS, 40)
                                        .set(SpikedConfig.K, 5)
                                        .set(SpikedConfig.RHO, 1.0)
                                        .set(SpikedConfig.SEED, 0)
                                        .build())
                .hasMessageContaining("rho");
    }
}
