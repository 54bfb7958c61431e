package dev.aenstream.sae.train;

import dev.aenstream.sae.SaeParameters;

/**
 * The sparse step's parameters and Adam's moments on the Java heap, the decoder kept as atoms [D,
 * n] (row j is column j of {@code W_dec}) so that an atom is contiguous; and the update that ends a
 * step: Adam as PyTorch computes it, then every atom back to unit norm.
 */
final class SparseState {
    private static final float NORM_FLOOR = 1e-12f;

    final int n;
    final int d;
    final float[] wEnc, bEnc, atoms, bDec;
    private final float[][] m = new float[4][], v = new float[4][];

    SparseState(int n, int d) {
        this.n = n;
        this.d = d;
        int dn = Math.toIntExact((long) d * n);
        wEnc = new float[dn];
        bEnc = new float[d];
        atoms = new float[dn];
        bDec = new float[n];
        int[] sizes = {dn, d, dn, n};
        for (int i = 0; i < 4; i++) {
            m[i] = new float[sizes[i]];
            v[i] = new float[sizes[i]];
        }
    }

    /**
     * Takes over the arrays of {@code state} instead of copying them, but the decoder's, which it
     * lays out as atoms: at n 4,096, D 131,072 a copy is 12 GiB more than the machine has. The
     * caller must not use {@code state} again.
     */
    SparseState(TrainState state) {
        SaeParameters p = state.params();
        n = p.n();
        d = p.d();
        wEnc = p.wEnc();
        bEnc = p.bEnc();
        bDec = p.bDec();
        atoms = new float[wEnc.length];
        transpose(p.wDec(), n, d, atoms);
        for (int i = 0; i < 4; i++) {
            m[i] = adopt(state.adamM()[i], i == 2);
            v[i] = adopt(state.adamV()[i], i == 2);
        }
    }

    /** The array itself, unless it is the decoder's and not all zeros (its layout differs). */
    private float[] adopt(float[] from, boolean decoder) {
        if (!decoder || allZero(from)) return from;
        float[] to = new float[from.length];
        copyIn(from, to, true);
        return to;
    }

    private static boolean allZero(float[] values) {
        for (float value : values) if (value != 0) return false;
        return true;
    }

    /** Takes the parameters and moments of {@code state}, in {@link TrainState}'s layout. */
    void load(TrainState state) {
        state.requireShape(n, d);
        SaeParameters p = state.params();
        System.arraycopy(p.wEnc(), 0, wEnc, 0, wEnc.length);
        System.arraycopy(p.bEnc(), 0, bEnc, 0, d);
        transpose(p.wDec(), n, d, atoms);
        System.arraycopy(p.bDec(), 0, bDec, 0, n);
        for (int i = 0; i < 4; i++) {
            copyIn(state.adamM()[i], m[i], i == 2);
            copyIn(state.adamV()[i], v[i], i == 2);
        }
    }

    /**
     * A copy in {@link TrainState}'s layout, with the penalty's EMA and the ghost's firing EMA
     * ({@code null}: ones) and the tokens since each feature fired.
     */
    TrainState toState(long step, float[] ema, float[] firingEma, float[] sinceFired) {
        float[][] ms = new float[4][];
        float[][] vs = new float[4][];
        for (int i = 0; i < 4; i++) {
            ms[i] = copyOut(m[i], i == 2);
            vs[i] = copyOut(v[i], i == 2);
        }
        return new TrainState(
                step,
                parameters(),
                ms,
                vs,
                ema == null ? TrainState.ones(d) : ema.clone(),
                firingEma == null ? TrainState.ones(d) : firingEma.clone(),
                sinceFired.clone());
    }

    SaeParameters parameters() {
        return new SaeParameters(
                n, d, wEnc.clone(), bEnc.clone(), copyOut(atoms, true), bDec.clone());
    }

    /**
     * Adam with gradients {@code grads} (W_enc, b_enc, atoms, b_dec) scaled by {@code clip}, at
     * step {@code t}: {@code p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)}; then the atoms
     * renormed.
     */
    void adam(TrainConfig config, long t, float[][] grads, float clip, StepThreads threads) {
        float beta1 = config.get(TrainConfig.ADAM_BETA1).floatValue();
        float beta2 = config.get(TrainConfig.ADAM_BETA2).floatValue();
        float eps = config.get(TrainConfig.ADAM_EPS).floatValue();
        float stepSize =
                config.get(TrainConfig.LR).floatValue()
                        / (float) (1 - Math.pow(config.get(TrainConfig.ADAM_BETA1), t));
        float sqrtBc2 = (float) Math.sqrt(1 - Math.pow(config.get(TrainConfig.ADAM_BETA2), t));
        Adam adam = new Adam(beta1, beta2, eps, stepSize, sqrtBc2, clip);
        // Feature by feature: its encoder row, then its atom, renormed while it is in cache; one
        // hand-off to the threads for all of it.
        threads.forRange(
                0,
                d,
                (from, to) -> {
                    adam.update(wEnc, grads[0], m[0], v[0], from * n, to * n);
                    adam.update(atoms, grads[2], m[2], v[2], from * n, to * n);
                    for (int j = from; j < to; j++) {
                        int at = j * n;
                        double sq = 0;
                        for (int i = 0; i < n; i++) sq += (double) atoms[at + i] * atoms[at + i];
                        float norm = Math.max((float) Math.sqrt(sq), NORM_FLOOR);
                        for (int i = 0; i < n; i++) atoms[at + i] /= norm;
                    }
                });
        adam.update(bEnc, grads[1], m[1], v[1], 0, d);
        adam.update(bDec, grads[3], m[3], v[3], 0, n);
    }

    /** One step of Adam's arithmetic, in float as PyTorch does it. */
    private record Adam(
            float beta1, float beta2, float eps, float stepSize, float sqrtBc2, float clip) {
        void update(float[] param, float[] grad, float[] mp, float[] vp, int from, int to) {
            for (int i = from; i < to; i++) {
                float g = grad[i] * clip;
                float mi = beta1 * mp[i] + (1 - beta1) * g;
                float vi = beta2 * vp[i] + (1 - beta2) * (g * g);
                mp[i] = mi;
                vp[i] = vi;
                param[i] -= stepSize * (mi / ((float) Math.sqrt(vi) / sqrtBc2 + eps));
            }
        }
    }

    private void copyIn(float[] from, float[] to, boolean decoder) {
        if (decoder) transpose(from, n, d, to);
        else System.arraycopy(from, 0, to, 0, to.length);
    }

    private float[] copyOut(float[] from, boolean decoder) {
        if (!decoder) return from.clone();
        float[] out = new float[from.length];
        transpose(from, d, n, out);
        return out;
    }

    /** {@code to} [cols, rows] = {@code from} [rows, cols] transposed. */
    private static void transpose(float[] from, int rows, int cols, float[] to) {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) to[c * rows + r] = from[r * cols + c];
    }
}
