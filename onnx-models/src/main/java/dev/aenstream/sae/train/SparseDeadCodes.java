package dev.aenstream.sae.train;

import dev.aenstream.sae.penalty.SparseTerms;

/**
 * AuxK's part of {@link SparseStep}: each row's k_aux largest codes among the features silent for
 * longer than AuxK's threshold, read off the pre-activations the step already has, and their
 * reconstruction of the main residual. Costs {@code B k_aux n} on top of the step.
 */
final class SparseDeadCodes {
    private final SparseTerms.DeadFeatureLoss loss;
    private final int n;

    /** The dead codes of the step, sharing the main codes' pre-activations. */
    final SparseCodesOfStep codes;

    /** d loss / d (W_dec z), row by row, for dW_dec. */
    final float[] dRecon;

    private final boolean[] dead;
    private final ThreadLocal<float[][]> scratch;
    private boolean active;

    SparseDeadCodes(
            SparseTerms.DeadFeatureLoss loss, SparseCodesOfStep main, int batch, int n, int d) {
        this.loss = loss;
        this.n = n;
        this.codes = main.sharingPreActivations();
        this.dRecon = new float[batch * n];
        this.dead = new boolean[d];
        this.scratch = ThreadLocal.withInitial(() -> new float[][] {new float[n], new float[n]});
    }

    /**
     * Marks the features silent for longer than the threshold and, when there are any, reads each
     * row's k_aux largest of their codes; whether the auxiliary loss applies this step.
     */
    boolean select(int rows, float[] sinceFired, StepThreads threads) {
        boolean any = false;
        for (int j = 0; j < dead.length; j++) {
            dead[j] = sinceFired[j] > loss.deadTokens();
            any |= dead[j];
        }
        active = any;
        if (active)
            codes.extract(
                    rows, codes.kthAmong(rows, loss.kAux(), dead, threads), null, dead, threads);
        return active;
    }

    /** Whether the latest {@link #select} found dead features. */
    boolean active() {
        return active;
    }

    /**
     * The auxiliary loss, coef times the mean squared error of the dead codes' reconstruction of
     * the residual r = x - xhat = -e: its error is W_dec z + e. Its d loss / d (W_dec z) goes to
     * {@link #dRecon} and its share of d loss / d z to each dead code.
     */
    double loss(int rows, float[] e, float[] atoms, StepThreads threads) {
        double bn = (double) rows * n;
        float scale = (float) (2 * loss.coef() / bn);
        int pieces = Math.min(threads.count(), rows);
        double[] squares = new double[pieces];
        threads.forPieces(
                pieces,
                p -> {
                    float[][] s = scratch.get();
                    float[] error = s[0], atom = s[1];
                    double q = 0;
                    for (int b = (int) ((long) rows * p / pieces);
                            b < (int) ((long) rows * (p + 1) / pieces);
                            b++) {
                        System.arraycopy(e, b * n, error, 0, n);
                        for (int k = codes.rowStart[b]; k < codes.rowStart[b + 1]; k++) {
                            float h = codes.h[k];
                            System.arraycopy(atoms, codes.feature[k] * n, atom, 0, n);
                            for (int i = 0; i < n; i++) error[i] += h * atom[i];
                        }
                        for (int i = 0; i < n; i++) {
                            q += (double) error[i] * error[i];
                            error[i] *= scale;
                        }
                        System.arraycopy(error, 0, dRecon, b * n, n);
                        for (int k = codes.rowStart[b]; k < codes.rowStart[b + 1]; k++)
                            codes.dPre[k] = Dot.of(error, atoms, codes.feature[k] * n, n);
                    }
                    squares[p] = q;
                });
        double sum = 0;
        for (double q : squares) sum += q;
        return loss.coef() * sum / bn;
    }
}
