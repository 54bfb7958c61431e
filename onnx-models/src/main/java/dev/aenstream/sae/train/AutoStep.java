package dev.aenstream.sae.train;

import ai.onnxruntime.OrtException;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.runtime.Device;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training step that picks its path by the density of the codes: the sparse step while few
 * features fire per row, the dense graph while many do (a fresh ReLU SAE fires on half of them).
 * Both compute the same step, so a switch carries the state across and changes nothing but speed.
 * On two threads the sparse step wins up to about 5% density, on one thread (where the dense
 * graph's products have no second core) up to about 9% (docs/benchmarks.md); it switches to dense
 * above {@link #denseAbove} and back below half of it, the gap keeping a density near the line from
 * switching every step. A fresh run's first step decides by the line alone, so an SAE that starts
 * thin (TopK, its density k / D from the first step) does not stay in the gap on the dense graph.
 * Penalties without a sparse form, and CUDA, keep the dense graph.
 */
public final class AutoStep implements TrainingStep {
    private static final Logger LOG = LoggerFactory.getLogger(AutoStep.class);

    /** Share of features firing per row above which the dense graph is faster on two threads. */
    public static final double DENSE_ABOVE = 0.05;

    /** The same line on one thread. */
    public static final double DENSE_ABOVE_ONE_THREAD = 0.08;

    private final Device device;
    private final int threads;
    private final double line;
    private boolean sparseServes;
    private TrainingStep current;
    private long sparseSteps;
    private long denseSteps;
    private long switches;

    private AutoStep(TrainingStep first, Device device, int threads, boolean sparseServes) {
        this.current = first;
        this.device = device;
        this.threads = threads;
        // Once: with 0 threads it reads the cores, which need not be asked every step.
        this.line = denseAbove(threads);
        this.sparseServes = sparseServes;
    }

    /**
     * Opens the step for {@code config} on {@code state}, on the sparse path when {@code sparse} (a
     * resumed run that was on it) and it serves the penalty on the CPU, else on the dense graph (a
     * fresh SAE fires densely); the density decides from the first step on. Where the device
     * resolves to CUDA the dense graph stays, as there are no sparse kernels for it.
     */
    public static AutoStep open(
            TrainConfig config, TrainState state, Device device, int threads, boolean sparse)
            throws OrtException {
        boolean serves = SparseStep.serves(config) && device != Device.CUDA;
        if (serves && sparse && device == Device.CPU)
            return new AutoStep(
                    SparseStep.open(config, state, device, threads), device, threads, true);
        TrainStep dense = TrainStep.open(config, state, device, threads);
        boolean cpu = dense.device() == Device.CPU;
        AutoStep step = new AutoStep(dense, device, threads, serves && cpu);
        if (serves && cpu && sparse) step.switchTo(true);
        return step;
    }

    /**
     * Share of features firing per row above which the dense graph is faster with {@code threads}
     * ONNX Runtime threads (0: as many as there are cores).
     */
    public static double denseAbove(int threads) {
        int used = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return used == 1 ? DENSE_ABOVE_ONE_THREAD : DENSE_ABOVE;
    }

    @Override
    public StepResult run(float[] batch, int offset, int rows) throws OrtException {
        StepResult result = current.run(batch, offset, rows);
        if (current instanceof SparseStep) sparseSteps++;
        else denseSteps++;
        if (sparseServes) {
            double density = result.l0() / current.config().d();
            boolean first = current.step() == 1;
            if (current instanceof SparseStep && density > line) switchTo(false);
            else if (current instanceof TrainStep && density < (first ? line : line / 2))
                switchTo(true);
        }
        return result;
    }

    /**
     * Carries the state to the other path. The old path is closed before the new one opens, so the
     * two are never held at once (at large shapes each is gigabytes); if the new one cannot be
     * opened (memory), the old one is opened again on the same state and switching stops.
     */
    private void switchTo(boolean sparse) throws OrtException {
        TrainState state = current.state();
        TrainConfig config = current.config();
        current.close();
        try {
            current =
                    sparse
                            ? SparseStep.open(config, state, device, threads)
                            : TrainStep.open(config, state, device, threads);
            switches++;
        } catch (OutOfMemoryError | OrtException e) {
            LOG.warn(
                    "cannot open the {} path ({}); staying on the {} path",
                    sparse ? "sparse" : "dense",
                    e.toString(),
                    sparse ? "dense" : "sparse");
            current =
                    sparse
                            ? TrainStep.open(config, state, device, threads)
                            : SparseStep.open(config, state, device, threads);
            sparseServes = false;
        }
    }

    /** Whether the sparse step runs the next step. */
    public boolean sparse() {
        return current instanceof SparseStep;
    }

    /** Steps run on the sparse step so far. */
    public long sparseSteps() {
        return sparseSteps;
    }

    /** Steps run on the dense graph so far. */
    public long denseSteps() {
        return denseSteps;
    }

    /** Times the path changed. */
    public long switches() {
        return switches;
    }

    @Override
    public TrainConfig config() {
        return current.config();
    }

    @Override
    public void setLambda1(double lambda1) throws OrtException {
        current.setLambda1(lambda1);
    }

    @Override
    public Device device() {
        return current.device();
    }

    @Override
    public long step() {
        return current.step();
    }

    @Override
    public void load(TrainState state) {
        current.load(state);
    }

    @Override
    public TrainState state() {
        return current.state();
    }

    @Override
    public SaeParameters parameters() {
        return current.parameters();
    }

    @Override
    public void close() throws OrtException {
        current.close();
    }
}
