package dev.aenstream.bench;

import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.train.Trainer;

/** Tokens per second of a trainer's steps on spiked rows, as both training benchmarks report it. */
public final class TrainingRate {
    private TrainingRate() {}

    /** The spiked rows both training benchmarks time on: as many atoms as features, 16 a row. */
    /** The most atoms the benchmarks' spiked rows are drawn from. */
    static final int MAX_ATOMS = 16_384;

    static SpikedGenerator spiked(int n, int d) {
        return new SpikedGenerator(
                SpikedConfig.builder()
                        .set(SpikedConfig.N, n)
                        // Capped: at D 131,072 a dictionary of D atoms would be 2 GiB more.
                        .set(SpikedConfig.ATOMS, Math.min(Math.max(d, 16), MAX_ATOMS))
                        .set(SpikedConfig.K, Math.min(16, d))
                        .set(SpikedConfig.SEED, 1)
                        .build());
    }

    /**
     * Runs {@code warmupSteps} untimed steps, then timed ones until both {@code minSteps} steps and
     * {@code seconds} have passed.
     */
    public static double measure(
            Trainer trainer, int n, int d, int batch, int warmupSteps, int minSteps, double seconds)
            throws ai.onnxruntime.OrtException {
        SpikedGenerator data = spiked(n, d);
        float[] x = new float[batch * n];
        long index = 0;
        for (int i = 0; i < warmupSteps; i++) {
            data.batch(index++, x, batch, null, null);
            trainer.step(x, 0, batch);
        }
        long steps = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        while (steps < minSteps || System.nanoTime() < end) {
            data.batch(index++, x, batch, null, null);
            trainer.step(x, 0, batch);
            steps++;
        }
        return steps * (double) batch / ((System.nanoTime() - start) / 1e9);
    }
}
