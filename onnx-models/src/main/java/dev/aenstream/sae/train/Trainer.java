package dev.aenstream.sae.train;

import ai.onnxruntime.OrtException;
import dev.aenstream.sae.runtime.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Trains one SAE: runs steps, keeps its feature window and throughput, writes and resumes
 * checkpoints.
 */
public final class Trainer implements AutoCloseable {
    private final String saeId;
    private final TrainStep step;
    private final FeatureWindow window;
    private final long startNanos = System.nanoTime();
    private long tokensThisRun;
    private StepResult last;
    private double saturation;

    private Trainer(String saeId, TrainStep step, FeatureWindow window) {
        this.saeId = saeId;
        this.step = step;
        this.window = window;
    }

    /** A fresh run from docs/aen-sae.md's initialisation. */
    public static Trainer start(String saeId, TrainConfig config, Device device, int threads)
            throws OrtException {
        TrainStep step =
                TrainStep.open(
                        config,
                        TrainState.initial(config.n(), config.d(), config.seed()),
                        device,
                        threads);
        return new Trainer(saeId, step, new FeatureWindow(config.d(), config.deadWindowTokens()));
    }

    /** Continues from a checkpoint, with the checkpoint's configuration. */
    public static Trainer resume(
            String saeId, Checkpoints.Checkpoint checkpoint, Device device, int threads)
            throws OrtException {
        TrainConfig config = checkpoint.config();
        TrainStep step = TrainStep.open(config, checkpoint.state(), device, threads);
        FeatureWindow window = new FeatureWindow(config.d(), config.deadWindowTokens());
        window.restore(checkpoint.tokens(), checkpoint.lastFired());
        return new Trainer(saeId, step, window);
    }

    public String saeId() {
        return saeId;
    }

    public TrainConfig config() {
        return step.config();
    }

    public TrainStep trainStep() {
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

    /** One step on {@code rows} rows at {@code offset} of {@code x}. */
    public StepResult step(float[] x, int offset, int rows) throws OrtException {
        StepResult r = step.run(x, offset, rows);
        if (r.applied()) {
            window.add(rows, r.fireCounts());
            tokensThisRun += rows;
            if (r.w() != null) {
                double wMax = config().wMax() * (1 - 1e-6);
                int pinned = 0;
                for (float w : r.w()) if (w >= wMax) pinned++;
                saturation = (double) pinned / r.w().length;
            }
        }
        last = r;
        return r;
    }

    /** Figures after the last step. */
    public TrainingMetrics metrics() {
        StepResult r = last;
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        return new TrainingMetrics(
                saeId,
                config().arch().label(),
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

    /** Writes a checkpoint of the current state under {@code dir/saeId}. */
    public Path checkpoint(Path dir, Map<String, String> extra) throws IOException {
        return Checkpoints.save(
                dir, saeId, step.state(), config(), window.tokens(), window.lastFired(), extra);
    }

    @Override
    public void close() throws OrtException {
        step.close();
    }
}
