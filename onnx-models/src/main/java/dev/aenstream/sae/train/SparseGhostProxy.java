package dev.aenstream.sae.train;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.aenstream.sae.onnx.Graph;
import dev.aenstream.sae.penalty.SparseTerms.DeadFeatureProxy;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.OrtSessions;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Set;

/**
 * The ghost proxy's part of {@link SparseStep} (docs/aen-sae.md, "Ghost gradients"): the firing
 * EMA, and the proxy loss and its gradients over the persistently dead features alone. Their
 * encoder rows, biases and atoms are gathered and the proxy's five products run in ONNX Runtime on
 * them, so it costs {@code 5 B n} per dead feature (nothing while none is dead) where the dense
 * graph pays for all D.
 */
final class SparseGhostProxy implements AutoCloseable {
    private static final String RESIDUAL = "residual";
    private static final String W_ENC = "w_enc";
    private static final String B_ENC = "b_enc";
    private static final String ATOMS = "atoms";
    private static final String WEIGHT = "weight";
    private static final String LOSS = "loss";
    private static final String G_W_ENC = "grad_w_enc";
    private static final String G_B_ENC = "grad_b_enc";
    private static final String G_ATOMS = "grad_atoms";

    private final DeadFeatureProxy settings;
    private final int n;
    private final int d;
    private final OrtSessions.Opened opened;
    private final OrtEnvironment env = OrtSessions.environment();
    private final FloatBuffer residual;

    /** The dead features' rows and their gradients, grown to the most dead features seen. */
    private FloatBuffer wEnc, bEnc, atoms, gWEnc, gBEnc, gAtoms;

    private int capacity;

    private final float[] firingEma, firingNew;
    private final float[] row;

    /** The features the proxy acts on this step, and how many. */
    private final int[] dead;

    private int deadCount;

    SparseGhostProxy(DeadFeatureProxy settings, int n, int d, int batch, Device device, int threads)
            throws OrtException {
        this.settings = settings;
        this.n = n;
        this.d = d;
        this.opened =
                OrtSessions.openWithoutSpinning(graph(n).model().toByteArray(), device, threads);
        residual = PreActivations.direct(Math.multiplyExact(batch, n));
        firingEma = TrainState.ones(d);
        firingNew = new float[d];
        row = new float[n];
        dead = new int[d];
    }

    /**
     * The proxy on {@code s} dead features: a = softplus(r W^T + b), g = a A, loss = weight *
     * sum((g - r)^2) with weight = scale / (B n), and the gradients of the loss on W, b and A.
     */
    static Graph graph(int n) {
        Graph g = new Graph("sae_train_ghost_proxy", DataType.FLOAT);
        String r = g.input(RESIDUAL, -1, n);
        String w = g.input(W_ENC, -1, n);
        String b = g.input(B_ENC, -1);
        String a = g.input(ATOMS, -1, n);
        String weight = g.input(WEIGHT);
        String logits = g.op("Gemm", Map.of("transB", 1L), r, w, b);
        String proxy = g.op("Softplus", logits);
        String error = g.sub(g.op("MatMul", proxy, a), r);
        g.output(g.mul(weight, g.sumSquares(error, false)), LOSS);
        String dRecon = g.mul(error, g.mul(g.scalar(2), weight));
        String dLogits =
                g.mul(g.op("Gemm", Map.of("transB", 1L), dRecon, a), g.op("Sigmoid", logits));
        g.output(g.op("Gemm", Map.of("transA", 1L), dLogits, r), G_W_ENC, -1, n);
        g.output(g.sum(dLogits, false, 0), G_B_ENC, -1);
        g.output(g.op("Gemm", Map.of("transA", 1L), proxy, dRecon), G_ATOMS, -1, n);
        return g;
    }

    /**
     * Room for {@code features} dead features' rows: a wide dictionary has most of its features
     * alive, and four [D, n] buffers would double its footprint.
     */
    private void reserve(int features) {
        if (features <= capacity) return;
        capacity = Math.min(d, Math.max(features, 2 * capacity));
        int floats = Math.multiplyExact(capacity, n);
        wEnc = PreActivations.direct(floats);
        atoms = PreActivations.direct(floats);
        gWEnc = PreActivations.direct(floats);
        gAtoms = PreActivations.direct(floats);
        bEnc = PreActivations.direct(capacity);
        gBEnc = PreActivations.direct(capacity);
    }

    /**
     * The proxy loss of step {@code t} on the main error {@code e = xhat - x} (the residual is -e,
     * held constant; {@code sumSquaresE} is its sum of squares): the firing EMA moves on by this
     * batch's fires, and from the proxy's first step on, the features at or below the threshold
     * reconstruct the residual. Without any, the loss is the residual's alone (scale * mean r^2, a
     * constant, as in the dense graph and PyTorch). Its gradients wait for {@link #addTo}.
     */
    double loss(
            long t, float[] fireCounts, int rows, float[] e, double sumSquaresE, SparseState state)
            throws OrtException {
        select(t, fireCounts, rows);
        return deadCount == 0
                ? settings.scale() * sumSquaresE / ((double) rows * n)
                : proxyLoss(rows, e, state);
    }

    /**
     * Moves the firing EMA on by this batch's fires and, from the proxy's first step {@code t} on,
     * marks the features at or below the threshold.
     */
    private void select(long t, float[] fireCounts, int rows) {
        float beta = (float) settings.beta();
        float threshold = (float) settings.threshold();
        boolean on = t >= settings.fromStep();
        deadCount = 0;
        for (int j = 0; j < d; j++) {
            firingNew[j] = beta * firingEma[j] + (1 - beta) * (fireCounts[j] / rows);
            if (on && !(firingNew[j] > threshold)) dead[deadCount++] = j;
        }
    }

    /** The proxy loss and its gradients over the dead features, in ONNX Runtime. */
    private double proxyLoss(int rows, float[] e, SparseState state) throws OrtException {
        reserve(deadCount);
        residual.clear();
        for (int i = 0; i < rows * n; i++) residual.put(-e[i]);
        wEnc.clear();
        atoms.clear();
        bEnc.clear();
        for (int k = 0; k < deadCount; k++) {
            int j = dead[k];
            wEnc.put(state.wEnc, j * n, n);
            atoms.put(state.atoms, j * n, n);
            bEnc.put(state.bEnc[j]);
        }
        long s = deadCount;
        float weight = (float) (settings.scale() / ((double) rows * n));
        try (OnnxTensor r = tensor(residual.flip(), rows, n);
                OnnxTensor w = tensor(wEnc.flip(), s, n);
                OnnxTensor b = tensor(bEnc.flip(), s);
                OnnxTensor a = tensor(atoms.flip(), s, n);
                OnnxTensor c = OnnxTensor.createTensor(env, weight);
                OnnxTensor gw = tensor(gWEnc.clear().limit(deadCount * n), s, n);
                OnnxTensor gb = tensor(gBEnc.clear().limit(deadCount), s);
                OnnxTensor ga = tensor(gAtoms.clear().limit(deadCount * n), s, n);
                OrtSession.Result result =
                        opened.session()
                                .run(
                                        Map.of(
                                                RESIDUAL, r, W_ENC, w, B_ENC, b, ATOMS, a, WEIGHT,
                                                c),
                                        Set.of(LOSS),
                                        Map.of(G_W_ENC, gw, G_B_ENC, gb, G_ATOMS, ga))) {
            return ((OnnxTensor) result.get(LOSS).orElseThrow()).getFloatBuffer().get(0);
        }
    }

    private OnnxTensor tensor(FloatBuffer values, long... shape) throws OrtException {
        return OnnxTensor.createTensor(env, values, shape);
    }

    /**
     * Adds the latest step's proxy gradients (none without dead features) to the dead features'
     * rows of dW_enc, db_enc and dW_dec (as atoms) and sums those rows' squares anew into {@code
     * featureSquares}. Called after db_dec is taken from db_enc: the proxy's input is the residual,
     * not x - b_dec, so none of its gradient reaches b_dec.
     */
    void addTo(float[] gradWEnc, float[] gradBEnc, float[] gradAtoms, double[] featureSquares) {
        for (int k = 0; k < deadCount; k++) {
            int j = dead[k];
            gradBEnc[j] += gBEnc.get(k);
            featureSquares[j] = add(gWEnc, k, gradWEnc, j) + add(gAtoms, k, gradAtoms, j);
        }
    }

    /** Adds row {@code k} of {@code from} to row {@code j} of {@code to}; its sum of squares. */
    private double add(FloatBuffer from, int k, float[] to, int j) {
        from.get(k * n, row, 0, n);
        double squares = 0;
        for (int i = 0; i < n; i++) {
            float v = to[j * n + i] + row[i];
            to[j * n + i] = v;
            squares += (double) v * v;
        }
        return squares;
    }

    /** The step was applied: the firing EMA moves on. */
    void applied() {
        System.arraycopy(firingNew, 0, firingEma, 0, d);
    }

    float[] firingEma() {
        return firingEma;
    }

    void load(float[] from) {
        System.arraycopy(from, 0, firingEma, 0, d);
    }

    @Override
    public void close() throws OrtException {
        opened.close();
    }
}
