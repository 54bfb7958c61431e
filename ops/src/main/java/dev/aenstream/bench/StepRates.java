package dev.aenstream.bench;

import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.train.SparseStep;
import dev.aenstream.sae.train.StepResult;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.TrainState;
import dev.aenstream.sae.train.TrainStep;
import dev.aenstream.sae.train.TrainingStep;
import java.util.Arrays;

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

    public static Figures measure(
            TrainConfig config, Device device, int threads, double l0, int warmup, int steps)
            throws Exception {
        int n = config.n();
        int d = config.d();
        int batch = config.get(TrainConfig.BATCH);
        SpikedGenerator data = TrainingRate.spiked(n, d);
        float[] x = new float[batch * n];
        data.batch(0, x, batch, null, null);
        TrainState state = TrainState.initial(n, d, config.get(TrainConfig.SEED));
        // A TopK cut sets the density itself.
        if (config.penalty().sparseTerms(config.settings(), d).k() == 0)
            state = atDensity(state, x, batch, l0);
        double dense;
        try (TrainStep step = TrainStep.open(config, state, device, threads)) {
            dense = time(step, state, data, x, batch, warmup, steps)[0];
        }
        double[] sparse;
        try (SparseStep step = SparseStep.open(config, state, device, threads)) {
            sparse = time(step, state, data, x, batch, warmup, steps);
        }
        return new Figures(dense, sparse[0], sparse[1]);
    }

    /**
     * Tokens per second and mean L0 of {@code steps} steps after {@code warmup} untimed ones, each
     * from {@code state} again (loaded untimed), so that every step runs at the density set.
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
            step.load(state);
            step.run(x, 0, batch);
        }
        double l0 = 0;
        long nanos = 0;
        for (int i = 0; i < steps; i++) {
            data.batch(index++, x, batch, null, null);
            step.load(state);
            long start = System.nanoTime();
            StepResult r = step.run(x, 0, batch);
            nanos += System.nanoTime() - start;
            l0 += r.l0();
        }
        return new double[] {steps * (double) batch / (nanos / 1e9), l0 / steps};
    }

    /**
     * {@code state} with each encoder bias set so that its feature's pre-activation is positive on
     * {@code l0 / D} of the sample rows {@code x}.
     */
    static TrainState atDensity(TrainState state, float[] x, int rows, double l0) {
        SaeParameters p = state.params();
        int n = p.n();
        int d = p.d();
        int sample = Math.min(rows, 1024);
        int above = (int) Math.max(1, Math.round(sample * l0 / d));
        float[] bEnc = new float[d];
        double[] pre = new double[sample];
        for (int j = 0; j < d; j++) {
            for (int r = 0; r < sample; r++) {
                double acc = 0;
                for (int i = 0; i < n; i++)
                    acc += (double) p.wEnc()[j * n + i] * (x[r * n + i] - p.bDec()[i]);
                pre[r] = acc;
            }
            Arrays.sort(pre);
            // Between the above-th largest and the next, so that exactly `above` rows are positive.
            bEnc[j] = (float) -((pre[sample - above] + pre[sample - above - 1]) / 2);
        }
        SaeParameters fixed = new SaeParameters(n, d, p.wEnc(), bEnc, p.wDec(), p.bDec());
        return new TrainState(
                state.step(), fixed, state.adamM(), state.adamV(), state.ema(), state.firingEma());
    }
}
