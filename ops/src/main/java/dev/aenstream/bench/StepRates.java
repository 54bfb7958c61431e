package dev.aenstream.bench;

import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.train.SparseStep;
import dev.aenstream.sae.train.StepResult;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.TrainState;
import dev.aenstream.sae.train.TrainStep;
import dev.aenstream.sae.train.TrainingStep;

/**
 * The dense and the sparse training step timed on the same state and the same spiked rows. A fresh
 * SAE fires on half its features, a trained one on a few dozen: the state's encoder biases are set
 * so that each feature fires on {@code l0 / D} of a sample of rows (TopK's k sets its own), every
 * timed step starts from that state again (training moves the density within a few steps), and the
 * L0 the timed steps ran at is reported with the rates.
 */
public final class StepRates {
    /** Tokens per second of each path, and the mean L0 of the timed sparse steps. */
    public record Figures(double dense, double sparse, double l0) {}

    private StepRates() {}

    /**
     * Times both paths, or the sparse step alone when {@code dense} is false (shapes whose dense
     * graph does not fit in memory; the dense rate is then NaN).
     */
    public static Figures measure(
            TrainConfig config,
            Device device,
            int threads,
            double l0,
            int warmup,
            int steps,
            boolean dense)
            throws Exception {
        int batch = config.get(TrainConfig.BATCH);
        SpikedGenerator data = TrainingRate.spiked(config.n(), config.d());
        float[] x = new float[batch * config.n()];
        data.batch(0, x, batch, null, null);
        if (!dense) {
            // Alone, on the state's own arrays: at n 4,096, D 131,072 there is no room for the
            // copy a reload needs, so the steps run on from the density set.
            try (SparseStep step = takeAtDensity(config, x, l0, device, threads)) {
                double[] sparse = time(step, null, data, x, batch, warmup, steps);
                return new Figures(Double.NaN, sparse[0], sparse[1]);
            }
        }
        TrainState state = atDensity(config, x, l0);
        double denseRate;
        try (TrainStep step = TrainStep.open(config, state, device, threads)) {
            denseRate = time(step, state, data, x, batch, warmup, steps)[0];
        }
        double[] sparse;
        try (SparseStep step = SparseStep.open(config, state, device, threads)) {
            sparse = time(step, state, data, x, batch, warmup, steps);
        }
        return new Figures(denseRate, sparse[0], sparse[1]);
    }

    /** A fresh state at the density asked for (a TopK cut sets its own). */
    private static TrainState atDensity(TrainConfig config, float[] x, double l0) {
        TrainState state = TrainState.initial(config.n(), config.d(), config.get(TrainConfig.SEED));
        if (config.penalty().sparseTerms(config.settings(), config.d()).k() > 0) return state;
        return state.atDensity(x, config.get(TrainConfig.BATCH), l0);
    }

    /** The sparse step on such a state's own arrays; nothing else keeps the state. */
    private static SparseStep takeAtDensity(
            TrainConfig config, float[] x, double l0, Device device, int threads) throws Exception {
        return SparseStep.take(config, atDensity(config, x, l0), device, threads);
    }

    /**
     * Tokens per second and mean L0 of {@code steps} steps after {@code warmup} untimed ones, each
     * from {@code state} again (loaded untimed), so that every step runs at the density set; with
     * no state, each from where the last left.
     */
    private static double[] time(
            TrainingStep step,
            TrainState state,
            SpikedGenerator data,
            float[] x,
            int batch,
            int warmup,
            int steps)
            throws Exception {
        long index = 1;
        for (int i = 0; i < warmup; i++) {
            data.batch(index++, x, batch, null, null);
            if (state != null) step.load(state);
            step.run(x, 0, batch);
        }
        double l0 = 0;
        long nanos = 0;
        for (int i = 0; i < steps; i++) {
            data.batch(index++, x, batch, null, null);
            if (state != null) step.load(state);
            long start = System.nanoTime();
            StepResult r = step.run(x, 0, batch);
            nanos += System.nanoTime() - start;
            l0 += r.l0();
        }
        return new double[] {steps * (double) batch / (nanos / 1e9), l0 / steps};
    }
}
