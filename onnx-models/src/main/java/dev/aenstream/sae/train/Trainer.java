package dev.aenstream.sae.train;

import ai.onnxruntime.OrtException;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.runtime.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Trains one SAE: runs steps, keeps its feature window and throughput, writes and resumes
 * checkpoints.
 */
public final class Trainer implements AutoCloseable {
    private final String saeId;

    /** The checkpoint entry naming the step's path, and its values. */
    static final String STEP_PATH = "step_path";

    static final String SPARSE = "sparse";
    static final String DENSE = "dense";

    private final TrainingStep step;
    private final FeatureWindow window;
    private final long startNanos = System.nanoTime();
    private long tokensThisRun;
    private StepResult last;

    /** Share of adaptive weights pinned at w_max; null for architectures without them. */
    private Double saturation;

    private SparsityTarget target;
    private double l0Sum;
    private long l0Steps;
    private final List<Lambda1Change> lambda1Changes = new ArrayList<>();

    /** Matched sparsity set lambda1 to {@code lambda1} from step {@code step} + 1 on. */
    public record Lambda1Change(long step, double lambda1) {}

    private Trainer(String saeId, TrainingStep step, FeatureWindow window) {
        this.saeId = saeId;
        this.step = step;
        this.window = window;
        this.saturation = step.config().has(AdaptiveWeights.W_MAX) ? 0.0 : null;
    }

    /** A fresh run from docs/aen-sae.md's initialisation. */
    public static Trainer start(String saeId, TrainConfig config, Device device, int threads)
            throws OrtException {
        checkMemory(saeId, config);
        TrainingStep step =
                AutoStep.open(
                        config,
                        TrainState.initial(config.n(), config.d(), config.get(TrainConfig.SEED)),
                        device,
                        threads,
                        false);
        return new Trainer(
                saeId,
                step,
                new FeatureWindow(config.d(), config.get(TrainConfig.DEAD_WINDOW_TOKENS)));
    }

    /** Continues from a checkpoint, with the checkpoint's configuration. */
    public static Trainer resume(
            String saeId, Checkpoints.Checkpoint checkpoint, Device device, int threads)
            throws OrtException {
        TrainConfig config = checkpoint.config();
        checkMemory(saeId, config);
        // The path the run was on, so that a resumed run computes what an uninterrupted one would.
        TrainingStep step =
                AutoStep.open(
                        config,
                        checkpoint.state(),
                        device,
                        threads,
                        SPARSE.equals(checkpoint.extra().get(STEP_PATH)));
        FeatureWindow window =
                new FeatureWindow(config.d(), config.get(TrainConfig.DEAD_WINDOW_TOKENS));
        window.restore(checkpoint.tokens(), checkpoint.lastFired());
        return new Trainer(saeId, step, window);
    }

    /** Refuses, with the figures, a run this JVM or machine cannot hold. */
    private static void checkMemory(String saeId, TrainConfig config) {
        TrainMemory.of(config)
                .check(
                        "training SAE "
                                + saeId
                                + " (n="
                                + config.n()
                                + ", D="
                                + config.d()
                                + ", batch "
                                + config.get(TrainConfig.BATCH)
                                + ")");
    }

    public String saeId() {
        return saeId;
    }

    public TrainConfig config() {
        return step.config();
    }

    /** The step's engine: {@link AutoStep}, on the sparse or the dense path as the density says. */
    public TrainingStep trainStep() {
        return step;
    }

    public long stepsDone() {
        return step.step();
    }

    public long tokens() {
        return window.tokens();
    }

    public FeatureWindow window() {
        return window;
    }

    /**
     * Moves lambda1 towards {@code sparsity}'s target L0 (see {@link SparsityTarget}); null turns
     * it off.
     */
    public void target(SparsityTarget sparsity) {
        if (sparsity != null && !config().has(Penalised.LAMBDA1))
            throw new IllegalArgumentException(
                    config().penalty().label()
                            + " meets a target L0 with its settings, not lambda1");
        target = sparsity;
        l0Sum = 0;
        l0Steps = 0;
        lambda1Changes.clear();
        lambda1Changes.add(new Lambda1Change(step.step(), lambda1()));
    }

    /**
     * Starts b_dec at the mean of {@code rows} rows at {@code offset} of {@code x} instead of 0, so
     * a short run does not spend itself learning the data's offset (docs/experiments.md, "The quick
     * preset's start"); only before the first step.
     */
    public void centreDecoderBias(float[] x, int offset, int rows) {
        if (step.step() != 0)
            throw new IllegalStateException(
                    "b_dec can only be centred before the first step, not at step " + step.step());
        if (rows <= 0) throw new IllegalArgumentException("need at least one row to centre b_dec");
        int n = config().n();
        double[] sum = new double[n];
        for (int r = 0; r < rows; r++) for (int i = 0; i < n; i++) sum[i] += x[offset + r * n + i];
        float[] mean = new float[n];
        for (int i = 0; i < n; i++) mean[i] = (float) (sum[i] / rows);
        TrainState s = step.state();
        SaeParameters p = s.params();
        step.load(
                new TrainState(
                        0,
                        new SaeParameters(n, p.d(), p.wEnc(), p.bEnc(), p.wDec(), mean),
                        s.adamM(),
                        s.adamV(),
                        s.ema(),
                        s.firingEma(),
                        s.sinceFired()));
    }

    /** One step on {@code rows} rows at {@code offset} of {@code x}. */
    public StepResult step(float[] x, int offset, int rows) throws OrtException {
        StepResult r = step.run(x, offset, rows);
        if (r.applied()) {
            window.add(rows, r.fireCounts());
            tokensThisRun += rows;
            if (r.w() != null && saturation != null) {
                double wMax = config().get(AdaptiveWeights.W_MAX) * (1 - 1e-6);
                int pinned = 0;
                for (float w : r.w()) if (w >= wMax) pinned++;
                saturation = (double) pinned / r.w().length;
            }
            if (target != null && target.calibrates(r.step())) calibrate(r);
        }
        last = r;
        return r;
    }

    private void calibrate(StepResult r) throws OrtException {
        l0Sum += r.l0();
        l0Steps++;
        if (r.step() % target.every() != 0) return;
        step.setLambda1(target.next(lambda1(), l0Sum / l0Steps));
        lambda1Changes.add(new Lambda1Change(r.step(), lambda1()));
        l0Sum = 0;
        l0Steps = 0;
    }

    /**
     * The smallest and largest lambda1 any step after {@code fromStep} trained with (this run's
     * changes only: a resumed run knows those since the resume).
     */
    public double[] lambda1Range(long fromStep) {
        double current = lambda1();
        double min = current;
        double max = current;
        // Walking back: each change inside the window means the value before it trained there too.
        for (int i = lambda1Changes.size() - 1; i >= 1; i--) {
            if (lambda1Changes.get(i).step() < fromStep) break;
            double before = lambda1Changes.get(i - 1).lambda1();
            min = Math.min(min, before);
            max = Math.max(max, before);
        }
        return new double[] {min, max};
    }

    /** The lambda1 steps train with now (NaN for a penalty without one). */
    public double lambda1() {
        return config().has(Penalised.LAMBDA1) ? config().get(Penalised.LAMBDA1) : Double.NaN;
    }

    /** Figures after the last step. */
    public TrainingMetrics metrics() {
        StepResult r = last;
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        return new TrainingMetrics(
                saeId,
                config().penalty().label(),
                step.step(),
                window.tokens(),
                r == null ? Double.NaN : r.mse(),
                r == null ? Double.NaN : r.l1(),
                r == null ? Double.NaN : r.l2(),
                r == null ? Double.NaN : r.loss(),
                r == null ? Double.NaN : r.l0(),
                r == null ? Double.NaN : r.fve(),
                window.deadPct(),
                saturation,
                r == null ? 0 : r.phi(),
                tokensThisRun / Math.max(seconds, 1e-9),
                window.densityHistogram());
    }

    /** Writes a checkpoint of the current state, and the step's path, under {@code dir/saeId}. */
    public Path checkpoint(Path dir, Map<String, String> extra) throws IOException {
        Map<String, String> all = new java.util.LinkedHashMap<>(extra);
        if (step instanceof AutoStep auto) all.put(STEP_PATH, auto.sparse() ? SPARSE : DENSE);
        return Checkpoints.save(
                dir, saeId, step.state(), config(), window.tokens(), window.lastFired(), all);
    }

    /** Which path the run's steps take now (sparse or dense), as a checkpoint records it. */
    public String stepPath() {
        return step instanceof AutoStep auto && auto.sparse() ? SPARSE : DENSE;
    }

    /** Steps run on the sparse path and on the dense graph so far. */
    public long[] stepsByPath() {
        return step instanceof AutoStep auto
                ? new long[] {auto.sparseSteps(), auto.denseSteps()}
                : new long[] {0, stepsDone()};
    }

    @Override
    public void close() throws OrtException {
        step.close();
    }
}
