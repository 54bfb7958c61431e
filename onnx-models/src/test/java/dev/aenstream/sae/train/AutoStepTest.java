package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.runtime.Device;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The step that takes the sparse or the dense path by the codes' density. */
class AutoStepTest {
    private static final int N = 48;
    private static final int D = 384;
    private static final int ROWS = 128;

    @TempDir Path dir;

    /** A fresh state whose encoder biases leave a few features firing per row. */
    static TrainState sparseState(float bias) {
        TrainState s = TrainState.initial(N, D, 11);
        SaeParameters p = s.params();
        float[] bEnc = new float[D];
        Arrays.fill(bEnc, bias);
        return new TrainState(
                0,
                new SaeParameters(N, D, p.wEnc(), bEnc, p.wDec(), p.bDec()),
                s.adamM(),
                s.adamV(),
                s.ema());
    }

    @Test
    void aFreshDenseSaeStartsOnTheGraphAndMovesToTheSparseStepWhenItsCodesThinOut()
            throws Exception {
        TrainConfig config = SparseStepTest.config(Penalties.AEN);
        try (AutoStep dense =
                AutoStep.open(config, TrainState.initial(N, D, 11), Device.CPU, 2, false)) {
            StepResult r = dense.run(SparseStepTest.rows(0, ROWS), 0, ROWS);
            assertThat(r.l0() / D)
                    .as("a fresh ReLU SAE fires densely")
                    .isGreaterThan(AutoStep.DENSE_ABOVE);
            assertThat(dense.sparse()).isFalse();
        }
        TrainState thin = sparseState(-5f);
        try (AutoStep auto = AutoStep.open(config, thin, Device.CPU, 2, false);
                TrainStep graph = TrainStep.open(config, thin, Device.CPU, 1)) {
            for (int s = 0; s < 30; s++) {
                float[] x = SparseStepTest.rows(s, ROWS);
                auto.run(x, 0, ROWS);
                graph.run(x, 0, ROWS);
            }
            assertThat(auto.sparse()).isTrue();
            assertThat(auto.switches()).isEqualTo(1);
            assertThat(auto.denseSteps()).isEqualTo(1);
            assertThat(auto.sparseSteps()).isEqualTo(29);
            assertThat(auto.step()).isEqualTo(graph.step());
            float[][] a = TrainState.values(auto.state().params());
            float[][] b = TrainState.values(graph.state().params());
            for (int i = 0; i < 4; i++)
                assertThat(SparseStepTest.relative(a[i], b[i]))
                        .as("%s after 30 steps on either path", TrainState.PARAMETER_ORDER[i])
                        .isLessThan(1e-4);
        }
    }

    /**
     * A fresh TopK SAE fires on k of D features from its first step: below the line it takes the
     * sparse step after that step, though its density is above the line's lower half (it stayed on
     * the dense graph for the whole run before).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "15, 2, true", // 3.9%: under 5%, over 2.5%
        "27, 2, false", // 7.0%: over the two-thread line
        "27, 1, true", // 7.0%: under the one-thread line
        "34, 1, false" // 8.9%: over it
    })
    void aFreshTopKTakesThePathItsDensityCallsForAfterItsFirstStep(
            int k, int threads, boolean sparse) throws Exception {
        TrainConfig config = SparseStepTest.config(Penalties.parse("topk")).with(TopK.K, k);
        try (AutoStep auto =
                AutoStep.open(config, TrainState.initial(N, D, 11), Device.CPU, threads, false)) {
            for (int s = 0; s < 3; s++) auto.run(SparseStepTest.rows(s, ROWS), 0, ROWS);
            assertThat(auto.sparse()).isEqualTo(sparse);
            assertThat(auto.switches()).isEqualTo(sparse ? 1 : 0);
        }
    }

    @Test
    void aResumedRunInTheGapKeepsItsPath() throws Exception {
        // 3.9% on two threads, between the line's half and the line: a run that was on the dense
        // graph there stays on it after a resume, as it would have without one.
        TrainConfig config = SparseStepTest.config(Penalties.parse("topk")).with(TopK.K, 15);
        TrainState later;
        try (TrainStep graph =
                TrainStep.open(config, TrainState.initial(N, D, 11), Device.CPU, 1)) {
            for (int s = 0; s < 2; s++) graph.run(SparseStepTest.rows(s, ROWS), 0, ROWS);
            later = graph.state();
        }
        try (AutoStep auto = AutoStep.open(config, later, Device.CPU, 2, false)) {
            for (int s = 2; s < 5; s++) auto.run(SparseStepTest.rows(s, ROWS), 0, ROWS);
            assertThat(auto.sparse()).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = Device.class,
            names = {"CPU", "AUTO"})
    void aRunResumedOnTheSparsePathComputesWhatTheUninterruptedOneDid(Device device)
            throws Exception {
        TrainConfig config = SparseStepTest.config(Penalties.AEN);
        TrainState thin = sparseState(-5f);
        TrainState uninterrupted;
        try (AutoStep auto = AutoStep.open(config, thin, Device.CPU, 2, false)) {
            for (int s = 0; s < 12; s++) auto.run(SparseStepTest.rows(s, ROWS), 0, ROWS);
            uninterrupted = auto.state();
        }
        try (AutoStep first = AutoStep.open(config, thin, Device.CPU, 2, false)) {
            for (int s = 0; s < 6; s++) first.run(SparseStepTest.rows(s, ROWS), 0, ROWS);
            assertThat(first.sparse()).isTrue();
            Checkpoints.save(
                    dir,
                    "a",
                    first.state(),
                    config,
                    6L * ROWS,
                    new long[D],
                    Map.of(Trainer.STEP_PATH, Trainer.SPARSE));
        }
        // AUTO finds no CUDA here and takes the CPU, where the sparse path is.
        try (Trainer resumed = Trainer.resume("a", Checkpoints.latest(dir, "a"), device, 2)) {
            assertThat(resumed.stepPath()).isEqualTo(Trainer.SPARSE);
            for (int s = 6; s < 12; s++) resumed.step(SparseStepTest.rows(s, ROWS), 0, ROWS);
            assertThat(resumed.trainStep().state()).isEqualTo(uninterrupted);
        }
    }
}
