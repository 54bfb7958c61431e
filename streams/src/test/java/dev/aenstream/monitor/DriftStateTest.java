package dev.aenstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The drift tests against independent references: the CUSUM recursion against the maximum over
 * every change point computed directly, the likelihood ratio against binomial log-probabilities,
 * the false-alarm bound by simulation, and the Jensen-Shannon divergence by hand.
 */
class DriftStateTest {
    private static final int D = 20;
    private static final long BLOCK = 1_000;

    private static DriftSettings settings(double falseAlarmsPerMillion, boolean rolling) {
        return new DriftSettings(
                20_000,
                BLOCK,
                2.0,
                falseAlarmsPerMillion,
                0.01,
                rolling ? DriftReference.ROLLING : DriftReference.FIRST,
                D);
    }

    /** Counts of {@code tokens} Bernoulli tokens per feature at the given densities. */
    private static long[] draw(SplittableRandom random, double[] density, long tokens) {
        long[] fires = new long[density.length];
        for (long t = 0; t < tokens; t++)
            for (int j = 0; j < density.length; j++)
                if (random.nextDouble() < density[j]) fires[j]++;
        return fires;
    }

    private static double[] densities(double p) {
        double[] d = new double[D];
        for (int j = 0; j < D; j++) d[j] = p * (1 + j % 4);
        return d;
    }

    @Test
    void theLikelihoodRatioIsTheBinomialOne() {
        long c = 37;
        double t = 1_000;
        double p0 = 0.02;
        double p1 = 0.04;
        double direct =
                (c * Math.log(p1) + (t - c) * Math.log(1 - p1))
                        - (c * Math.log(p0) + (t - c) * Math.log(1 - p0));
        assertThat(DriftSettings.llr(c, t, p0, p1)).isCloseTo(direct, within(1e-9));
    }

    @Test
    void theThresholdMakesTheConfiguredRateAndTheBoundsCoverTheReference() {
        DriftSettings s = settings(1.0, false);
        // 2D tests, e^-h per test and block, blocks of BLOCK tokens: the rate per million tokens.
        assertThat(2 * D * Math.exp(-s.threshold()) / BLOCK * 1e6).isCloseTo(1.0, within(1e-9));
        double[] b = DriftSettings.rateBounds(400, 20_000, s.referenceZ());
        assertThat(b[0]).isLessThan(0.02).isPositive();
        assertThat(b[1]).isGreaterThan(0.02);
        assertThat(DriftSettings.rateBounds(0, 20_000, s.referenceZ())[0]).isZero();
    }

    @Test
    void theRecursionAlarmsWhereTheMaximumOverChangePointsFirstCrossesTheThreshold() {
        DriftSettings s = settings(50.0, false);
        SplittableRandom random = new SplittableRandom(3);
        double[] density = densities(0.005);
        DriftState state = new DriftState(D);
        long[] reference = draw(random, density, s.referenceTokens());
        state.add(1, s.referenceTokens(), reference, s);
        assertThat(state.testing()).isTrue();
        double[] shifted = density.clone();
        shifted[7] *= 2.5;
        // The direct CUSUM of feature 7's up test: max over k of the LLR summed from block k on.
        double[] bounds =
                DriftSettings.rateBounds(reference[7], s.referenceTokens(), s.referenceZ());
        List<Double> llrs = new ArrayList<>();
        int expected = -1;
        int alarmed = -1;
        for (int b = 0; b < 400 && alarmed < 0; b++) {
            long[] fires = draw(random, shifted, BLOCK);
            llrs.add(DriftSettings.llr(fires[7], BLOCK, bounds[1], bounds[1] * 2));
            double best = 0;
            for (int k = 0; k < llrs.size(); k++) {
                double sum = 0;
                for (int i = k; i < llrs.size(); i++) sum += llrs.get(i);
                best = Math.max(best, sum);
            }
            if (expected < 0 && best >= s.threshold()) expected = b;
            DriftState.Block block = state.add(1, BLOCK, fires, s);
            assertThat(block).isNotNull();
            for (DriftState.Moved m : block.moved()) {
                if (m.feature() == 7 && m.up()) alarmed = b;
            }
        }
        assertThat(expected).as("the shift is detected at all").isGreaterThanOrEqualTo(0);
        assertThat(alarmed).isEqualTo(expected);
    }

    @Test
    void onAnUnchangedStreamFalseAlarmsStayUnderTheConfiguredRate() {
        // A loose rate, so that alarms happen often enough to count; rolling references re-arm.
        double rate = 2_000.0;
        DriftSettings s = settings(rate, true);
        SplittableRandom random = new SplittableRandom(11);
        double[] density = densities(0.01);
        DriftState state = new DriftState(D);
        long tokens = 0;
        long alarms = 0;
        for (int b = 0; b < 3_000; b++) {
            DriftState.Block block = state.add(1, BLOCK, draw(random, density, BLOCK), s);
            if (state.testing() && block != null) {
                tokens += BLOCK;
                alarms += block.moved().size();
            }
        }
        double measured = alarms * 1e6 / tokens;
        assertThat(alarms).as("the rate is loose enough for alarms to happen").isPositive();
        assertThat(measured).as("false alarms per million tokens").isLessThanOrEqualTo(rate);
    }

    @Test
    void aPlantedChangeIsFoundOnItsFeatureAloneAndANewVersionStartsOver() {
        DriftSettings s = settings(1.0, false);
        SplittableRandom random = new SplittableRandom(5);
        double[] density = densities(0.01);
        DriftState state = new DriftState(D);
        state.add(1, s.referenceTokens(), draw(random, density, s.referenceTokens()), s);
        double[] changed = density.clone();
        changed[3] *= 3;
        changed[12] /= 4;
        List<String> found = new ArrayList<>();
        for (int b = 0; b < 60; b++) {
            DriftState.Block block = state.add(1, BLOCK, draw(random, changed, BLOCK), s);
            for (DriftState.Moved m : block.moved()) found.add(m.feature() + (m.up() ? "+" : "-"));
        }
        assertThat(found).containsExactlyInAnyOrder("3+", "12-");

        DriftState restored = DriftState.fromBytes(state.toBytes());
        assertThat(restored.toBytes()).isEqualTo(state.toBytes());
        restored.add(2, 10, new long[D], s);
        assertThat(restored.version()).isEqualTo(2);
        assertThat(restored.testing()).as("a new version measures its own reference").isFalse();
        assertThat(restored.add(1, BLOCK, new long[D], s)).as("late counts of v1").isNull();
    }

    @Test
    void aPinnedReferenceOutlivesVersionsAndFindsAChangeThatCameWithOne() {
        DriftSettings s =
                new DriftSettings(20_000, BLOCK, 2.0, 1.0, 0.01, DriftReference.PINNED, D);
        SplittableRandom random = new SplittableRandom(8);
        double[] density = densities(0.01);
        DriftState state = new DriftState(D);
        state.add(1, s.referenceTokens(), draw(random, density, s.referenceTokens()), s);
        double[] changed = density.clone();
        changed[9] *= 3;
        List<Integer> found = new ArrayList<>();
        for (int b = 0; b < 30; b++) {
            DriftState.Block block = state.add(2, BLOCK, draw(random, changed, BLOCK), s);
            assertThat(block)
                    .as("version 2 is tested at once, against version 1's reference")
                    .isNotNull();
            block.moved().forEach(m -> found.add(m.feature()));
        }
        assertThat(state.version()).isEqualTo(2);
        assertThat(found).containsExactly(9);
    }

    @Test
    void jensenShannonIsZeroForOneMixOneForDisjointOnesAndMatchesAHandComputation() {
        assertThat(DriftState.jensenShannon(new long[] {1, 2, 3}, new long[] {2, 4, 6}))
                .isCloseTo(0, within(1e-12));
        assertThat(DriftState.jensenShannon(new long[] {1, 0}, new long[] {0, 5}))
                .isCloseTo(1, within(1e-12));
        // P = (1/2, 1/2), Q = (1, 0): M = (3/4, 1/4);
        // JS = (1/2)[(1/2)log2(2/3) + (1/2)log2(2)] + (1/2)[log2(4/3)].
        double expected =
                0.5 * (0.5 * Math.log(2.0 / 3) + 0.5 * Math.log(2)) / Math.log(2)
                        + 0.5 * Math.log(4.0 / 3) / Math.log(2);
        assertThat(DriftState.jensenShannon(new long[] {1, 1}, new long[] {1, 0}))
                .isCloseTo(expected, within(1e-12));
    }
}
