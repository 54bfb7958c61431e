package dev.aenstream.sae.train;

import ai.onnxruntime.OrtException;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.runtime.Device;

/**
 * What runs one training step of docs/aen-sae.md and holds the state between steps: the dense graph
 * in ONNX Runtime ({@link TrainStep}) or the exact sparse kernels ({@link SparseStep}).
 */
public interface TrainingStep extends AutoCloseable {
    TrainConfig config();

    /** Trains from the next step on with another lambda1; the configuration records it. */
    void setLambda1(double lambda1) throws OrtException;

    Device device();

    /** Steps applied so far. */
    long step();

    /** Replaces the training state (a resume, or a fresh run). */
    void load(TrainState state);

    /** A copy of the current state, for checkpoints and exports. */
    TrainState state();

    /** The current parameters (a copy), without the Adam state and EMAs. */
    SaeParameters parameters();

    /**
     * Runs one step on {@code rows} rows of width n taken from {@code batch} at {@code offset}; the
     * step number advances only when the step is applied.
     */
    StepResult run(float[] batch, int offset, int rows) throws OrtException;

    @Override
    void close() throws OrtException;
}
