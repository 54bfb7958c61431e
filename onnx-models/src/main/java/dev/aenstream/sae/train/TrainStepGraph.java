package dev.aenstream.sae.train;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.Graph;
import dev.aenstream.sae.penalty.Penalty;
import dev.aenstream.sae.penalty.StepTerms;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One training step as an ONNX graph, exactly as docs/aen-sae.md defines it: forward pass, the
 * penalty's terms, backward pass, global gradient-norm clipping, the {@code applied} flag by which
 * {@link TrainStep} skips a non-finite step, Adam, and renormalisation of the decoder columns. The
 * penalty ({@link StepTerms}) supplies which codes are active, its loss terms, its share of the
 * gradient on the codes and any state of its own; this class does the rest, the same for every
 * architecture.
 *
 * <p>The backward pass is written out by hand: {@code dxhat = 2 e / (B n)}, {@code dW_dec = dxhat^T
 * h}, {@code dh = dxhat W_dec} plus the penalty's share, {@code dpre = dh [active]}, {@code dW_enc
 * = dpre^T (x - b_dec)}, {@code db_enc = sum_b dpre}, {@code db_dec = sum_b dxhat - (sum_b dpre)
 * W_enc}. The last term is a vector-matrix product, so a step costs five large matrix products: two
 * forward, three backward.
 */
public final class TrainStepGraph {
    /**
     * Parameter names, in docs/aen-sae.md's notation; state inputs are these, {@code m_} and {@code
     * v_} of each.
     */
    public static final List<String> PARAMETERS = List.of("W_enc", "b_enc", "W_dec", "b_dec");

    public static final String X = "x";

    /** Scalar inputs of every step; a penalty declares its own beside them. */
    public static final List<String> SCALARS =
            List.of(
                    "lr",
                    "beta1",
                    "beta2",
                    "eps",
                    "bias_correction1",
                    "bias_correction2",
                    "max_grad_norm");

    /** Scalar outputs. */
    public static final List<String> SCALAR_OUTPUTS =
            List.of("mse", "l1", "l2", "loss", "grad_norm", "applied", "l0", "fve");

    /** Per-feature batch statistics, each [D]. */
    public static final List<String> FEATURE_OUTPUTS =
            List.of("mean_abs_h", "max_abs_h", "fire_counts");

    private static final double CLIP_EPS = 1e-6;
    private static final double NORM_FLOOR = 1e-12;

    public static String m(String param) {
        return "m_" + param;
    }

    public static String v(String param) {
        return "v_" + param;
    }

    public static String next(String name) {
        return StepTerms.next(name);
    }

    public static String grad(String param) {
        return "grad_" + param;
    }

    /**
     * How the graph is built: shape, penalty, precision, and whether raw gradients are output (for
     * tests).
     */
    public record Spec(int n, int d, Penalty penalty, DataType precision, boolean emitGradients) {
        public Spec {
            if (n <= 0 || d <= 0) throw new IllegalArgumentException("n and D must be positive");
            if (penalty == null) throw new IllegalArgumentException("a step needs a penalty");
        }
    }

    private TrainStepGraph() {}

    public static OnnxMl.ModelProto build(Spec spec) {
        int n = spec.n();
        int d = spec.d();
        Graph g = new Graph("sae_train_step_" + spec.penalty().label(), spec.precision());
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
        Map<String, String> s = new HashMap<>();
        for (String name : SCALARS) s.put(name, g.input(name));
        StepTerms penalty = spec.penalty().stepTerms(g, d);

        String zero = g.scalar(0);
        String one = g.scalar(1);
        String batch =
                g.toReal(g.op("Gather", Map.of("axis", 0L), g.op("Shape", x), g.longScalar(0)));
        String batchN = g.mul(batch, g.scalar(n));

        // Forward.
        String xc = g.sub(x, bDec);
        String pre = g.op("Gemm", Map.of("transB", 1L), xc, wEnc, bEnc);
        StepTerms.Codes codes = penalty.codes(pre);
        String h = codes.h();
        String xhat = g.op("Gemm", Map.of("transB", 1L), h, wDec, bDec);
        String e = g.sub(xhat, x);
        String colSumH = g.sum(h, false, 0);
        String meanAbsH = g.div(colSumH, batch);
        // Rows on which each feature fired: the batch statistics, and the ghost's firing EMA.
        String fireCounts =
                g.sum(
                        g.toReal(g.op("Greater", h, g.scalar(EncoderGraph.FIRE_THRESHOLD))),
                        false,
                        0);
        StepTerms.Forward forward =
                new StepTerms.Forward(
                        x,
                        xc,
                        pre,
                        h,
                        e,
                        colSumH,
                        meanAbsH,
                        fireCounts,
                        batch,
                        batchN,
                        wEnc,
                        bEnc,
                        wDec);

        // Loss terms.
        String mse = g.div(g.sumSquares(e, false), batchN);
        StepTerms.Loss terms = penalty.loss(forward);
        String loss = g.add(g.add(mse, terms.l1()), terms.l2());
        if (terms.extra() != null) loss = g.add(loss, terms.extra());

        // Backward.
        String dXhat = g.mul(e, g.div(g.scalar(2), batchN));
        String dPre = g.op("Where", codes.active(), penalty.dH(forward, dXhat), zero);
        String gBEnc = g.sum(dPre, false, 0);
        String throughEncoder = g.op("MatMul", g.op("Unsqueeze", gBEnc, g.longs(0)), wEnc);
        Map<String, String> grads = new HashMap<>();
        grads.put("W_enc", g.op("Gemm", Map.of("transA", 1L), dPre, xc));
        grads.put("b_enc", gBEnc);
        grads.put("W_dec", g.op("Gemm", Map.of("transA", 1L), dXhat, h));
        grads.put(
                "b_dec",
                g.sub(g.sum(dXhat, false, 0), g.op("Squeeze", throughEncoder, g.longs(0))));
        penalty.ownGradients().forEach((p, grad) -> grads.merge(p, grad, g::add));

        // Clip the global gradient norm; the step applies only when the loss and the norm are
        // finite.
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
                // ReduceSumSquare over the leading axis has no fast path in ONNX Runtime's CPU
                // kernels (0.9 ms of a 17 ms step at n 256, D 1,024); the square then ReduceSum
                // takes a fifth of that and gives the same bits (same order of summation).
                String norms = g.sqrt(g.sum(g.mul(pNew, pNew), true, 0));
                pNew = g.div(pNew, g.op("Max", norms, g.scalar(NORM_FLOOR)));
            }
            g.output(pNew, next(p), shapes.get(p));
            g.output(mNew, next(m(p)), shapes.get(p));
            g.output(vNew, next(v(p)), shapes.get(p));
            if (spec.emitGradients()) g.output(grads.get(p), grad(p), shapes.get(p));
        }

        // Batch statistics, from the codes of this batch.
        String l0 = g.div(g.sum(fireCounts, false, 0), batch);
        String unexplained = variance(g, e, batch);
        String total = variance(g, x, batch);
        String fve = g.sub(one, g.div(unexplained, total));

        Map<String, String> scalars =
                Map.of(
                        "mse",
                        mse,
                        "l1",
                        terms.l1(),
                        "l2",
                        terms.l2(),
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
        g.output(
                g.op("ReduceMax", Map.of("axes", new long[] {0}, "keepdims", 0L), h),
                "max_abs_h",
                d);
        g.output(fireCounts, "fire_counts", d);
        penalty.outputs();
        return g.model();
    }

    /** Summed over columns, the variance of each column of {@code t} [B, n] over the batch. */
    private static String variance(Graph g, String t, String batch) {
        String mean = g.op("ReduceMean", Map.of("axes", new long[] {0}, "keepdims", 0L), t);
        return g.sub(g.div(g.sumSquares(t, false), batch), g.sumSquares(mean, false));
    }

    private static String finite(Graph g, String scalar) {
        return g.op("Not", g.op("Or", g.op("IsNaN", scalar), g.op("IsInf", scalar)));
    }
}
