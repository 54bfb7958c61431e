package dev.aenstream.sae.train;

import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.penalty.Penalty;
import java.util.Arrays;

/**
 * Everything a training run carries from step to step: the parameters, Adam's moments of each, the
 * EMA m_j of the adaptive weights, the firing EMA of the ghost-gradient baseline, the tokens since
 * each feature last fired of the AuxK baseline, and the number of steps applied.
 */
public record TrainState(
        long step,
        SaeParameters params,
        float[][] adamM,
        float[][] adamV,
        float[] ema,
        float[] firingEma,
        float[] sinceFired) {
    /** Order of the parameters in {@code adamM} and {@code adamV}. */
    public static final String[] PARAMETER_ORDER = {"W_enc", "b_enc", "W_dec", "b_dec"};

    public TrainState {
        if (adamM.length != 4 || adamV.length != 4)
            throw new IllegalArgumentException("Adam state needs 4 tensors each");
        float[][] values = values(params);
        for (int i = 0; i < 4; i++) {
            if (adamM[i].length != values[i].length || adamV[i].length != values[i].length) {
                throw new IllegalArgumentException(
                        "Adam state of " + PARAMETER_ORDER[i] + " does not match its parameter");
            }
        }
        if (ema.length != params.d()
                || firingEma.length != params.d()
                || sinceFired.length != params.d())
            throw new IllegalArgumentException(
                    "state vectors must have D = " + params.d() + " values");
    }

    /** A state without tokens since firing (every architecture but auxk): they start at 0. */
    public TrainState(
            long step,
            SaeParameters params,
            float[][] adamM,
            float[][] adamV,
            float[] ema,
            float[] firingEma) {
        this(step, params, adamM, adamV, ema, firingEma, new float[params.d()]);
    }

    /** A state without a firing EMA (every architecture but ghost): it starts at 1. */
    public TrainState(
            long step, SaeParameters params, float[][] adamM, float[][] adamV, float[] ema) {
        this(step, params, adamM, adamV, ema, ones(params.d()));
    }

    /**
     * @throws IllegalArgumentException unless this state is of an SAE of width {@code n} and {@code
     *     d} features, as the run is configured
     */
    public void requireShape(int n, int d) {
        if (params.n() != n || params.d() != d)
            throw new IllegalArgumentException(
                    "state has n="
                            + params.n()
                            + ", D="
                            + params.d()
                            + " but the run is configured for n="
                            + n
                            + ", D="
                            + d);
    }

    /**
     * The state vector a penalty names: {@link Penalty#EMA}, {@link Penalty#FIRING_EMA} or {@link
     * Penalty#SINCE_FIRED}.
     */
    public float[] vector(String name) {
        return switch (name) {
            case Penalty.EMA -> ema;
            case Penalty.FIRING_EMA -> firingEma;
            case Penalty.SINCE_FIRED -> sinceFired;
            default -> throw new IllegalArgumentException("no state vector " + name);
        };
    }

    static float[] ones(int d) {
        float[] v = new float[d];
        Arrays.fill(v, 1f);
        return v;
    }

    /**
     * A fresh run: spec initialisation, zero Adam moments, m_j = 1, firing EMA 1, 0 tokens since
     * firing, step 0.
     */
    public static TrainState initial(int n, int d, long seed) {
        SaeParameters params = SaeParameters.initialise(n, d, seed);
        float[][] m = new float[4][];
        float[][] v = new float[4][];
        float[][] values = values(params);
        for (int i = 0; i < 4; i++) {
            m[i] = new float[values[i].length];
            v[i] = new float[values[i].length];
        }
        return new TrainState(0, params, m, v, ones(d), ones(d));
    }

    /** The parameters' arrays in {@link #PARAMETER_ORDER}. */
    public static float[][] values(SaeParameters p) {
        return new float[][] {p.wEnc(), p.bEnc(), p.wDec(), p.bDec()};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainState s
                && step == s.step
                && params.equals(s.params)
                && Arrays.deepEquals(adamM, s.adamM)
                && Arrays.deepEquals(adamV, s.adamV)
                && Arrays.equals(ema, s.ema)
                && Arrays.equals(firingEma, s.firingEma)
                && Arrays.equals(sinceFired, s.sinceFired);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(step) * 31 + params.hashCode();
    }

    @Override
    public String toString() {
        return "TrainState[step=" + step + ", " + params + "]";
    }

    /**
     * This state with each encoder bias set so that its feature's pre-activation is positive on
     * {@code l0 / D} of the sample rows {@code x} (at most 1,024 of {@code rows}): a trained SAE's
     * density without training, for timing steps where they run in a deployment.
     */
    public TrainState atDensity(float[] x, int rows, double l0) {
        SaeParameters p = params;
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
        return new TrainState(step, fixed, adamM, adamV, ema, firingEma, sinceFired);
    }
}
