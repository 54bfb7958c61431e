package dev.aenstream.sae.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.List;
import java.util.Map;

/**
 * One AEN-SAE training step as an ONNX graph, exactly as docs/aen-sae.md defines it: forward pass,
 * adaptive weights, loss terms, backward pass, global gradient-norm clipping, skipping of a
 * non-finite step, Adam, and renormalisation of the decoder columns. Built for the penalised
 * architectures (AEN and its L1, elastic-net and adaptive-lasso baselines differ only in the {@code
 * phi} and {@code lambda2} they are fed: phi = 0 gives wt = 1) or for TopK.
 *
 * <p>The adaptive weights are computed in the graph because docs/aen-sae.md orders them inside the
 * step: the EMA takes mean |h| of this step's batch and this step's L1 term uses the resulting wt.
 * Outside the graph that would cost a second forward pass.
 *
 * <p>The backward pass is written out by hand: {@code dxhat = 2 e / (B n)}, {@code dW_dec = dxhat^T
 * h}, {@code dh = dxhat W_dec + lambda1/B wt + 2 lambda2/B h}, {@code dpre = dh [pre > 0]} (and the
 * TopK mask), {@code dW_enc = dpre^T (x - b_dec)}, {@code db_enc = sum_b dpre}, {@code db_dec =
 * sum_b dxhat - (sum_b dpre) W_enc}. The last term is a vector-matrix product, so a step costs five
 * large matrix products: two forward, three backward.
 */
public final class TrainStepGraph {
    /**
     * Parameter names, in docs/aen-sae.md's notation; state inputs are these, {@code m_} and {@code
     * v_} of each.
     */
    public static final List<String> PARAMETERS = List.of("W_enc", "b_enc", "W_dec", "b_dec");

    public static final String X = "x";

    /** State input of the penalised graphs: the EMA m_j of mean |h_j|. */
    public static final String EMA = "ema";

    /** int64 [1]: how many of the largest m_j make the reference r. */
    public static final String REFERENCE_COUNT = "ref_count";

    public static final String K = "k";

    /** State input of the ghost graph: the EMA of each feature's firing rate. */
    public static final String FIRING_EMA = "firing_ema";

    /**
     * Scalar inputs of the ghost graph: the proxy loss's weight, the firing EMA's dead threshold
     * and decay, and whether the proxy applies at this step (1 from the minimum step on, else 0).
     */
    public static final List<String> GHOST_INPUTS =
            List.of("ghost_scale", "ghost_threshold", "ghost_beta", "ghost_on");

    /** Scalar output of the ghost graph: the proxy loss (also part of {@code loss}). */
    public static final String GHOST_LOSS = "ghost";

    /** Scalar inputs of every step (TopK steps take no lambdas). */
    public static final List<String> SCALARS =
            List.of(
                    "lr",
                    "beta1",
                    "beta2",
                    "eps",
                    "bias_correction1",
                    "bias_correction2",
                    "max_grad_norm");

    /**
     * Scalar inputs of the penalised steps: the penalties and the adaptive weights' settings, phi =
     * phi(t).
     */
    public static final List<String> PENALTIES =
            List.of("lambda1", "lambda2", "ema_beta", "gamma", "w_min", "w_max", "phi");

    /**
     * Per-feature outputs of the penalised steps, each [D]: the weights w_j and the wt_j this step
     * used.
     */
    public static final List<String> WEIGHT_OUTPUTS = List.of("w", "wt");

    /** Scalar outputs. */
    public static final List<String> SCALAR_OUTPUTS =
            List.of("mse", "l1", "l2", "loss", "grad_norm", "applied", "l0", "fve");

    /** Per-feature batch statistics, each [D]. */
    public static final List<String> FEATURE_OUTPUTS =
            List.of("mean_abs_h", "max_abs_h", "fire_counts");

    /** A feature fires on a token when its code exceeds this (docs/aen-sae.md's dead threshold). */
    public static final double FIRE_THRESHOLD = 1e-12;

    private static final double CLIP_EPS = 1e-6;
    private static final double NORM_FLOOR = 1e-12;

    /** docs/aen-sae.md's floor on m_j in w_j = (r / max(m_j, 1e-5))^gamma. */
    public static final double EMA_FLOOR = 1e-5;

    /**
     * How the graph is built: shape, architecture family (TopK, or penalised with or without the
     * ghost proxy), precision, and whether raw gradients are output (for tests).
     */
    public record Spec(
            int n, int d, boolean topK, boolean ghost, DataType precision, boolean emitGradients) {
        public Spec {
            if (n <= 0 || d <= 0) throw new IllegalArgumentException("n and D must be positive");
            if (topK && ghost) throw new IllegalArgumentException("ghost is a penalised graph");
        }

        /** A graph without the ghost proxy. */
        public Spec(int n, int d, boolean topK, DataType precision, boolean emitGradients) {
            this(n, d, topK, false, precision, emitGradients);
        }
    }

    private TrainStepGraph() {}

    public static String m(String param) {
        return "m_" + param;
    }

    public static String v(String param) {
        return "v_" + param;
    }

    public static String next(String name) {
        return "new_" + name;
    }

    public static String grad(String param) {
        return "grad_" + param;
    }

    public static OnnxMl.ModelProto build(Spec spec) {
        int n = spec.n();
        int d = spec.d();
        Graph g =
                new Graph(spec.topK() ? "sae_train_step_topk" : "sae_train_step", spec.precision());
        String x = g.input(X, -1, n);
        String wEnc = g.input("W_enc", d, n);
        String bEnc = g.input("b_enc", d);
        String wDec = g.input("W_dec", n, d);
        String bDec = g.input("b_dec", n);
        Map<String, long[]> shapes =
                Map.of(
                        "W_enc",
                        new long[] {d, n},
                        "b_enc",
                        new long[] {d},
                        "W_dec",
                        new long[] {n, d},
                        "b_dec",
                        new long[] {n});
        for (String p : PARAMETERS) {
            g.input(m(p), shapes.get(p));
            g.input(v(p), shapes.get(p));
        }
        Map<String, String> s = new java.util.HashMap<>();
        for (String name : SCALARS) s.put(name, g.input(name));
        String ema = null;
        String refCount = null;
        if (!spec.topK()) {
            for (String name : PENALTIES) s.put(name, g.input(name));
            ema = g.input(EMA, d);
            refCount = g.input(REFERENCE_COUNT, DataType.INT64, 1);
        }
        String k = spec.topK() ? g.input(K, DataType.INT64, 1) : null;
        String firingEma = null;
        if (spec.ghost()) {
            for (String name : GHOST_INPUTS) s.put(name, g.input(name));
            firingEma = g.input(FIRING_EMA, d);
        }

        String zero = g.scalar(0);
        String one = g.scalar(1);
        String batch =
                g.toReal(g.op("Gather", Map.of("axis", 0L), g.op("Shape", x), g.longScalar(0)));
        String batchN = g.mul(batch, g.scalar(n));

        // Forward.
        String xc = g.sub(x, bDec);
        String pre = g.op("Gemm", Map.of("transB", 1L), xc, wEnc, bEnc);
        String active = g.op("Greater", pre, zero);
        if (spec.topK()) {
            String kth =
                    g.op(
                            "ReduceMin",
                            Map.of("axes", new long[] {1}, "keepdims", 1L),
                            g.ops(
                                            2,
                                            "TopK",
                                            Map.of("axis", -1L, "largest", 1L, "sorted", 1L),
                                            pre,
                                            k)[0]);
            active = g.op("And", active, g.op("GreaterOrEqual", pre, kth));
        }
        String h = spec.topK() ? g.op("Where", active, pre, zero) : g.op("Relu", pre);
        String xhat = g.op("Gemm", Map.of("transB", 1L), h, wDec, bDec);
        String e = g.sub(xhat, x);

        String colSumH = g.sum(h, false, 0);
        String meanAbsH = g.div(colSumH, batch);

        // Adaptive weights, in docs/aen-sae.md's order (no gradient flows through them).
        String wt = null;
        String emaNew = null;
        String w = null;
        if (!spec.topK()) {
            emaNew =
                    g.add(
                            g.mul(s.get("ema_beta"), ema),
                            g.mul(g.sub(one, s.get("ema_beta")), meanAbsH));
            String top =
                    g.ops(
                                    2,
                                    "TopK",
                                    Map.of("axis", -1L, "largest", 1L, "sorted", 1L),
                                    emaNew,
                                    refCount)[0];
            String reference = g.op("ReduceMean", Map.of("keepdims", 0L), top);
            String ratio = g.div(reference, g.op("Max", emaNew, g.scalar(EMA_FLOOR)));
            w =
                    g.op(
                            "Min",
                            g.op("Max", g.op("Pow", ratio, s.get("gamma")), s.get("w_min")),
                            s.get("w_max"));
            wt = g.add(one, g.mul(g.sub(w, one), s.get("phi")));
        }

        // Loss terms.
        String mse = g.div(g.sumSquares(e, false), batchN);
        String l1;
        String l2;
        if (spec.topK()) {
            l1 = zero;
            l2 = zero;
        } else {
            l1 = g.div(g.mul(s.get("lambda1"), g.sum(g.mul(colSumH, wt), false, 0)), batch);
            l2 = g.div(g.mul(s.get("lambda2"), g.sumSquares(h, false)), batch);
        }
        String loss = g.add(g.add(mse, l1), l2);
        // Rows on which each feature fired: the batch statistics, and the ghost's firing EMA.
        String fireCounts = g.sum(g.toReal(g.op("Greater", h, g.scalar(FIRE_THRESHOLD))), false, 0);
        Ghost ghost =
                spec.ghost()
                        ? ghost(
                                g,
                                s,
                                e,
                                g.div(fireCounts, batch),
                                wEnc,
                                bEnc,
                                wDec,
                                firingEma,
                                batchN)
                        : null;
        if (ghost != null) loss = g.add(loss, ghost.loss());

        // Backward.
        String dXhat = g.mul(e, g.div(g.scalar(2), batchN));
        String gWDec = g.op("Gemm", Map.of("transA", 1L), dXhat, h);
        String dH;
        if (spec.topK()) {
            dH = g.op("MatMul", dXhat, wDec);
        } else {
            // The L1 term's gradient is the same for every row: Gemm adds it as its C input, saving
            // a pass over [B, D].
            String l1Grad = g.mul(g.div(s.get("lambda1"), batch), wt);
            dH =
                    g.add(
                            g.op("Gemm", dXhat, wDec, l1Grad),
                            g.mul(g.div(g.mul(g.scalar(2), s.get("lambda2")), batch), h));
        }
        String dPre = g.op("Where", active, dH, zero);
        String gWEnc = g.op("Gemm", Map.of("transA", 1L), dPre, xc);
        String gBEnc = g.sum(dPre, false, 0);
        String throughEncoder = g.op("MatMul", g.op("Unsqueeze", gBEnc, g.longs(0)), wEnc);
        String gBDec = g.sub(g.sum(dXhat, false, 0), g.op("Squeeze", throughEncoder, g.longs(0)));
        if (ghost != null) {
            gWEnc = g.add(gWEnc, ghost.gWEnc());
            gBEnc = g.add(gBEnc, ghost.gBEnc());
            gWDec = g.add(gWDec, ghost.gWDec());
        }
        Map<String, String> grads =
                Map.of("W_enc", gWEnc, "b_enc", gBEnc, "W_dec", gWDec, "b_dec", gBDec);

        // Clip the global gradient norm; skip the step when the loss or the norm is not finite.
        String sq = zero;
        for (String p : PARAMETERS) sq = g.add(sq, g.sumSquares(grads.get(p), false));
        String gradNorm = g.sqrt(sq);
        String clip =
                g.op(
                        "Min",
                        one,
                        g.div(s.get("max_grad_norm"), g.add(gradNorm, g.scalar(CLIP_EPS))));
        String finite = g.op("And", finite(g, loss), finite(g, gradNorm));

        // Adam, as PyTorch computes it: p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps).
        String stepSize = g.div(s.get("lr"), s.get("bias_correction1"));
        String sqrtBc2 = g.sqrt(s.get("bias_correction2"));
        String oneMinusB1 = g.sub(one, s.get("beta1"));
        String oneMinusB2 = g.sub(one, s.get("beta2"));
        Map<String, String> params =
                Map.of("W_enc", wEnc, "b_enc", bEnc, "W_dec", wDec, "b_dec", bDec);
        for (String p : PARAMETERS) {
            String grad = g.mul(grads.get(p), clip);
            String mNew = g.add(g.mul(s.get("beta1"), m(p)), g.mul(oneMinusB1, grad));
            String vNew = g.add(g.mul(s.get("beta2"), v(p)), g.mul(oneMinusB2, g.mul(grad, grad)));
            String denom = g.add(g.div(g.sqrt(vNew), sqrtBc2), s.get("eps"));
            String pNew = g.sub(params.get(p), g.mul(stepSize, g.div(mNew, denom)));
            if (p.equals("W_dec")) {
                String norms = g.sqrt(g.sumSquares(pNew, true, 0));
                pNew = g.div(pNew, g.op("Max", norms, g.scalar(NORM_FLOOR)));
            }
            g.output(g.op("Where", finite, pNew, params.get(p)), next(p), shapes.get(p));
            g.output(g.op("Where", finite, mNew, m(p)), next(m(p)), shapes.get(p));
            g.output(g.op("Where", finite, vNew, v(p)), next(v(p)), shapes.get(p));
            if (spec.emitGradients()) g.output(grads.get(p), grad(p), shapes.get(p));
        }

        // Batch statistics, from the codes of this batch.
        String l0 = g.div(g.sum(fireCounts, false, 0), batch);
        String unexplained =
                g.sub(
                        g.div(g.sumSquares(e, false), batch),
                        g.sumSquares(
                                g.op(
                                        "ReduceMean",
                                        Map.of("axes", new long[] {0}, "keepdims", 0L),
                                        e),
                                false));
        String total =
                g.sub(
                        g.div(g.sumSquares(x, false), batch),
                        g.sumSquares(
                                g.op(
                                        "ReduceMean",
                                        Map.of("axes", new long[] {0}, "keepdims", 0L),
                                        x),
                                false));
        String fve = g.sub(one, g.div(unexplained, total));

        Map<String, String> scalars =
                Map.of(
                        "mse",
                        mse,
                        "l1",
                        l1,
                        "l2",
                        l2,
                        "loss",
                        loss,
                        "grad_norm",
                        gradNorm,
                        "applied",
                        g.toReal(finite),
                        "l0",
                        l0,
                        "fve",
                        fve);
        for (String name : SCALAR_OUTPUTS) g.output(scalars.get(name), name);
        g.output(meanAbsH, "mean_abs_h", d);
        if (!spec.topK()) {
            g.output(g.op("Where", finite, emaNew, ema), next(EMA), d);
            g.output(w, "w", d);
            g.output(wt, "wt", d);
        }
        g.output(
                g.op("ReduceMax", Map.of("axes", new long[] {0}, "keepdims", 0L), h),
                "max_abs_h",
                d);
        g.output(fireCounts, "fire_counts", d);
        if (ghost != null) {
            g.output(ghost.loss(), GHOST_LOSS);
            g.output(g.op("Where", finite, ghost.firingEma(), firingEma), next(FIRING_EMA), d);
        }
        return g.model();
    }

    /** The ghost proxy's loss, its gradients and the updated firing EMA. */
    private record Ghost(String loss, String gWEnc, String gBEnc, String gWDec, String firingEma) {}

    /**
     * The ghost-gradient proxy loss (docs/aen-sae.md, "Ghost gradients"): f_j <- beta f_j + (1 -
     * beta) fired_j, with fired_j the share of rows on which feature j fired; dead_j = [f_j <=
     * threshold]; with the residual r = x - xhat held constant, a = softplus(W_enc r + b_enc) *
     * dead * on, g = W_dec a (no bias), loss = scale mean((r - g)^2). Its gradients reach W_enc and
     * b_enc through a, and W_dec through g.
     */
    private static Ghost ghost(
            Graph g,
            Map<String, String> s,
            String e,
            String fired,
            String wEnc,
            String bEnc,
            String wDec,
            String firingEma,
            String batchN) {
        String one = g.scalar(1);
        String firingNew =
                g.add(
                        g.mul(s.get("ghost_beta"), firingEma),
                        g.mul(g.sub(one, s.get("ghost_beta")), fired));
        String gate =
                g.mul(
                        g.toReal(g.op("Not", g.op("Greater", firingNew, s.get("ghost_threshold")))),
                        s.get("ghost_on"));
        String residual = g.sub(g.scalar(0), e);
        String logits = g.op("Gemm", Map.of("transB", 1L), residual, wEnc, bEnc);
        String proxy = g.mul(g.op("Softplus", logits), gate);
        String ghostRecon = g.op("Gemm", Map.of("transB", 1L), proxy, wDec);
        String ghostError = g.sub(ghostRecon, residual);
        String loss = g.mul(s.get("ghost_scale"), g.div(g.sumSquares(ghostError, false), batchN));
        String dRecon = g.mul(ghostError, g.div(g.mul(g.scalar(2), s.get("ghost_scale")), batchN));
        String gWDec = g.op("Gemm", Map.of("transA", 1L), dRecon, proxy);
        String dLogits = g.mul(g.op("MatMul", dRecon, wDec), g.mul(g.op("Sigmoid", logits), gate));
        String gWEnc = g.op("Gemm", Map.of("transA", 1L), dLogits, residual);
        String gBEnc = g.sum(dLogits, false, 0);
        return new Ghost(loss, gWEnc, gBEnc, gWDec, firingNew);
    }

    private static String finite(Graph g, String scalar) {
        return g.op("Not", g.op("Or", g.op("IsNaN", scalar), g.op("IsInf", scalar)));
    }
}
