package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.Ghost;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.Penalty;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.runtime.Device;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The sparse step against the dense graph, from the same state on the same rows: one step's
 * gradients per tensor (read from Adam's first moment after a step from zero moments, m = (1 -
 * beta1) g), the loss terms and statistics, and whole runs.
 */
class SparseStepTest {
    private static final int N = 48;
    private static final int D = 384;
    private static final int ROWS = 128;

    /** Norm-wise relative agreement of one step's gradients, per tensor. */
    private static final double GRADIENT_TOLERANCE = 1e-5;

    static Stream<Penalty> served() {
        return Penalties.ALL.stream().filter(p -> SparseStep.serves(config(p)));
    }

    @Test
    void everyArchitectureHasASparseStep() {
        assertThat(Penalties.ALL).allMatch(p -> SparseStep.serves(config(p)));
    }

    /** Rows made of a few atoms of a hidden dictionary plus noise: codes that mean something. */
    static float[] rows(long seed, int rows) {
        SplittableRandom dictionary = new SplittableRandom(7);
        float[][] atoms = new float[256][N];
        for (float[] a : atoms)
            for (int i = 0; i < N; i++) a[i] = (float) dictionary.nextGaussian();
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[rows * N];
        for (int r = 0; r < rows; r++) {
            for (int s = 0; s < 4; s++) {
                float[] a = atoms[random.nextInt(atoms.length)];
                float c = (float) (1 + random.nextDouble() * 2);
                for (int i = 0; i < N; i++) x[r * N + i] += c * a[i];
            }
            for (int i = 0; i < N; i++) x[r * N + i] += (float) (0.1 * random.nextGaussian());
        }
        return x;
    }

    static TrainConfig config(Penalty penalty) {
        return TrainConfig.synthetic(penalty, N, D).toBuilder()
                .set(TrainConfig.BATCH, ROWS)
                .set(AdaptiveWeights.T_WARM, 3)
                .set(AdaptiveWeights.T_RAMP, 10)
                .build();
    }

    /** A state some dense steps into training, with Adam's moments and step count reset. */
    static TrainState trained(TrainConfig config, int steps) throws Exception {
        try (TrainStep dense = TrainStep.open(config, TrainState.initial(N, D, 3), Device.CPU, 1)) {
            for (int s = 0; s < steps; s++) dense.run(rows(100 + s, ROWS), 0, ROWS);
            TrainState t = dense.state();
            float[][] zeros = new float[4][];
            float[][] zeros2 = new float[4][];
            for (int i = 0; i < 4; i++) {
                zeros[i] = new float[t.adamM()[i].length];
                zeros2[i] = new float[t.adamM()[i].length];
            }
            return new TrainState(0, t.params(), zeros, zeros2, t.ema(), t.firingEma());
        }
    }

    @ParameterizedTest
    @MethodSource("served")
    void oneStepsGradientsAndFiguresAgreeWithTheDenseGraph(Penalty penalty) throws Exception {
        // Past the warm-up, so the adaptive weights are in the gradient.
        TrainConfig config =
                config(penalty).toBuilder()
                        .set(AdaptiveWeights.T_WARM, 0)
                        .set(AdaptiveWeights.T_RAMP, 1)
                        .set(TrainConfig.MAX_GRAD_NORM, Double.POSITIVE_INFINITY)
                        .build();
        TrainState start = trained(config, 25);
        boolean ghost = penalty instanceof Ghost;
        if (ghost) {
            // The proxy acts from this step, on the third of the features set persistently dead.
            config = config.with(Ghost.MIN_STEPS, 0L).with(Ghost.THRESHOLD, 0.5);
            for (int j = 0; j < D; j += 3) start.firingEma()[j] = 0;
        }
        float[] x = rows(1, ROWS);
        StepResult dense, sparse;
        TrainState afterDense, afterSparse;
        try (TrainStep step = TrainStep.open(config, start, Device.CPU, 1)) {
            dense = step.run(x, 0, ROWS);
            afterDense = step.state();
        }
        try (SparseStep step = SparseStep.open(config, start, Device.CPU, 2)) {
            sparse = step.run(x, 0, ROWS);
            afterSparse = step.state();
        }
        assertThat(sparse.applied()).isTrue();
        assertThat(sparse.l0()).as("codes sparse enough to mean something").isLessThan(D / 2.0);
        for (int i = 0; i < 4; i++)
            assertThat(relative(afterSparse.adamM()[i], afterDense.adamM()[i]))
                    .as("gradient of %s", TrainState.PARAMETER_ORDER[i])
                    .isLessThanOrEqualTo(GRADIENT_TOLERANCE);
        float[][] p = TrainState.values(afterSparse.params());
        float[][] q = TrainState.values(afterDense.params());
        for (int i = 0; i < 4; i++)
            assertThat(relative(p[i], q[i]))
                    .as("new %s", TrainState.PARAMETER_ORDER[i])
                    .isLessThanOrEqualTo(GRADIENT_TOLERANCE);
        assertThat(relative(afterSparse.ema(), afterDense.ema())).isLessThanOrEqualTo(1e-6);
        assertThat(relative(afterSparse.firingEma(), afterDense.firingEma()))
                .isLessThanOrEqualTo(1e-6);
        if (ghost)
            assertThat(Math.abs(dense.auxLoss() - 0.1 * dense.mse()))
                    .as("the proxy moves the loss from scale * mse")
                    .isGreaterThan(1e-3 * dense.auxLoss());
        if (penalty instanceof Penalised)
            assertThat(relative(sparse.w(), dense.w())).isLessThanOrEqualTo(1e-5);
        double[][] figures = {
            {sparse.mse(), dense.mse()},
            {sparse.l1(), dense.l1()},
            {sparse.l2(), dense.l2()},
            {sparse.loss(), dense.loss()},
            {sparse.auxLoss(), dense.auxLoss()},
            {sparse.gradNorm(), dense.gradNorm()},
            {sparse.l0(), dense.l0()},
            {sparse.fve(), dense.fve()}
        };
        String[] names = {"mse", "l1", "l2", "loss", "auxLoss", "gradNorm", "l0", "fve"};
        for (int i = 0; i < figures.length; i++)
            assertThat(Math.abs(figures[i][0] - figures[i][1]))
                    .as("%s: %s against %s", names[i], figures[i][0], figures[i][1])
                    .isLessThanOrEqualTo(1e-5 * Math.abs(figures[i][1]) + 1e-9);
        assertThat(relative(sparse.fireCounts(), dense.fireCounts())).isZero();
        assertThat(relative(sparse.meanAbsH(), dense.meanAbsH())).isLessThanOrEqualTo(1e-5);
        assertThat(relative(sparse.maxAbsH(), dense.maxAbsH())).isLessThanOrEqualTo(1e-5);
    }

    /** fve and L0 over a run's last steps, and the share of features silent over them. */
    record Ending(double fve, double l0, double deadShare) {}

    static Ending run(TrainingStep step, int steps) throws Exception {
        int tail = steps / 5;
        double fve = 0, l0 = 0;
        float[] fires = new float[D];
        for (int s = 0; s < steps; s++) {
            StepResult r = step.run(rows(s, ROWS), 0, ROWS);
            if (s < steps - tail) continue;
            fve += r.fve() / tail;
            l0 += r.l0() / tail;
            for (int j = 0; j < D; j++) fires[j] += r.fireCounts()[j];
        }
        int dead = 0;
        for (float f : fires) if (f == 0) dead++;
        return new Ending(fve, l0, (double) dead / D);
    }

    /**
     * AEN with a penalty strong enough for sparse codes (L0 about 41 of 384 here), and TopK at k 8,
     * which lets some features fall silent (about 7% here), so the dead share is tested too; ghost
     * with a firing EMA fast and high enough that the proxy acts (on up to about 40 features that
     * fire on under 5% of rows, from step 350 until they revive, by step 1,000).
     */
    static Stream<TrainConfig> longRuns() {
        return Stream.of(
                config(Penalties.AEN).with(Penalised.LAMBDA1, 0.3),
                config(Penalties.parse("ghost"))
                        .with(Penalised.LAMBDA1, 0.3)
                        .with(Ghost.BETA, 0.98)
                        .with(Ghost.THRESHOLD, 0.05)
                        .with(Ghost.MIN_STEPS, 100L),
                config(Penalties.parse("topk")).with(TopK.K, 8));
    }

    @ParameterizedTest
    @MethodSource("longRuns")
    void aThousandStepRunEndsWhereTheDenseOneDoesWithinRunToRunNoise(TrainConfig config)
            throws Exception {
        int steps = 1000;
        Ending dense, sparse, otherSeed;
        try (TrainStep d = TrainStep.open(config, TrainState.initial(N, D, 5), Device.CPU, 1)) {
            dense = run(d, steps);
        }
        try (SparseStep s = SparseStep.open(config, TrainState.initial(N, D, 5), Device.CPU, 2)) {
            sparse = run(s, steps);
        }
        try (TrainStep d = TrainStep.open(config, TrainState.initial(N, D, 6), Device.CPU, 1)) {
            otherSeed = run(d, steps);
        }
        // Run-to-run noise: the dense graph from another initialisation.
        assertThat(Math.abs(sparse.fve() - dense.fve()))
                .as("fve %s against %s (another seed: %s)", sparse, dense, otherSeed)
                .isLessThanOrEqualTo(Math.abs(otherSeed.fve() - dense.fve()) + 0.005);
        assertThat(Math.abs(sparse.l0() - dense.l0()))
                .as("L0 %s against %s (another seed: %s)", sparse, dense, otherSeed)
                .isLessThanOrEqualTo(Math.abs(otherSeed.l0() - dense.l0()) + 0.02 * dense.l0());
        assertThat(Math.abs(sparse.deadShare() - dense.deadShare()))
                .as("dead share %s against %s (another seed: %s)", sparse, dense, otherSeed)
                .isLessThanOrEqualTo(Math.abs(otherSeed.deadShare() - dense.deadShare()) + 0.01);
    }

    /**
     * {@link SparseStep#take} works on the state's own arrays (a dictionary of n 4,096, D 131,072
     * has no room for a second copy) and steps exactly as a copy does, from a fresh state and from
     * one with moments.
     */
    @Test
    void takingAStateStepsExactlyAsCopyingItDoes() throws Exception {
        TrainConfig config = config(Penalties.AEN);
        TrainState moved;
        try (SparseStep warm =
                SparseStep.open(config, TrainState.initial(N, D, 9), Device.CPU, 1)) {
            for (int s = 0; s < 3; s++) warm.run(rows(300 + s, ROWS), 0, ROWS);
            moved = warm.state();
        }
        for (TrainState from : List.of(TrainState.initial(N, D, 9), moved)) {
            try (SparseStep copied = SparseStep.open(config, from, Device.CPU, 1);
                    SparseStep taken = SparseStep.take(config, copy(from), Device.CPU, 1)) {
                for (int s = 0; s < 3; s++) {
                    float[] x = rows(400 + s, ROWS);
                    copied.run(x, 0, ROWS);
                    taken.run(x, 0, ROWS);
                }
                assertThat(taken.state()).isEqualTo(copied.state());
            }
        }
    }

    private static TrainState copy(TrainState t) {
        float[][] m = new float[4][], v = new float[4][];
        for (int i = 0; i < 4; i++) {
            m[i] = t.adamM()[i].clone();
            v[i] = t.adamV()[i].clone();
        }
        SaeParameters p = t.params();
        return new TrainState(
                t.step(),
                new SaeParameters(
                        p.n(),
                        p.d(),
                        p.wEnc().clone(),
                        p.bEnc().clone(),
                        p.wDec().clone(),
                        p.bDec().clone()),
                m,
                v,
                t.ema().clone(),
                t.firingEma().clone());
    }

    @Test
    void steadyStateStepsAllocateLittle() throws Exception {
        int n = 128, d = 2048, rows = 512;
        TrainConfig config =
                TrainConfig.synthetic(Penalties.AEN, n, d).with(TrainConfig.BATCH, rows);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean)
                        java.lang.management.ManagementFactory.getThreadMXBean();
        float[] x = new float[rows * n];
        SplittableRandom random = new SplittableRandom(2);
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        try (SparseStep step =
                SparseStep.open(config, TrainState.initial(n, d, 1), Device.CPU, 2)) {
            for (int s = 0; s < 5; s++) step.run(x, 0, rows);
            long before = allocated(threads);
            int steps = 10;
            for (int s = 0; s < steps; s++) step.run(x, 0, rows);
            long perStep = (allocated(threads) - before) / steps;
            // A [batch, D] float array would be 4 MiB; the state's copies are 4 MiB each.
            assertThat(perStep).as("bytes allocated per step").isLessThan(1L << 20);
        }
    }

    /** Bytes allocated so far by every live thread. */
    private static long allocated(com.sun.management.ThreadMXBean threads) {
        long sum = 0;
        for (long id : threads.getAllThreadIds())
            sum += Math.max(0, threads.getThreadAllocatedBytes(id));
        return sum;
    }

    /** ||a - b|| / ||b||. */
    static double relative(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double diff = 0, norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
            norm += (double) b[i] * b[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }
}
