package dev.aenstream.sae.penalty;

import static dev.aenstream.sae.setting.Setting.Defaults.always;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.aenstream.sae.onnx.Activation;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.Graph;
import dev.aenstream.sae.onnx.WeightPrecision;
import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.Setting.Rule;
import dev.aenstream.sae.setting.SettingValues;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The L1 family: ReLU codes and lambda1 * sum_j wt_j |h_j| + lambda2 * sum_j h_j^2 per row,
 * averaged over the batch. Its kinds differ in whether the L2 term applies ({@link #lambda2}) and
 * whether the adaptive weights ramp in ({@link #phi}); with phi = 0, wt = 1.
 */
public abstract sealed class Penalised implements Penalty
        permits L1, ElasticNet, AdaptiveLasso, Aen, Ghost {
    public static final Setting<Double> LAMBDA1 =
            Setting.real(
                    "lambda1",
                    "lambda1",
                    "L1",
                    always(0.005),
                    Rule.nonNegative(),
                    "Weight of the (adaptive) L1 term");

    /** Scalar inputs of the penalised steps. */
    static final List<String> SCALARS =
            List.of("lambda1", "lambda2", "ema_beta", "gamma", "w_min", "w_max", "phi");

    /** int64 [1] input: how many of the largest m_j make the reference r. */
    public static final String REFERENCE_COUNT = "ref_count";

    private final String label;
    private final String description;
    private final List<Setting<?>> settings;

    Penalised(String label, String description, List<Setting<?>> own) {
        this.label = label;
        this.description = description;
        List<Setting<?>> all = new ArrayList<>();
        all.add(LAMBDA1);
        all.addAll(own);
        this.settings = List.copyOf(all);
    }

    @Override
    public final String label() {
        return label;
    }

    @Override
    public final String description() {
        return description;
    }

    @Override
    public final List<Setting<?>> settings() {
        return settings;
    }

    /** lambda2 as this penalty applies it: 0 unless it has an L2 term. */
    double lambda2(SettingValues s) {
        return 0;
    }

    @Override
    public int kMax(SettingValues s, int cut) {
        return cut;
    }

    @Override
    public EncoderSpec encoderSpec(int kMax, boolean normalise, WeightPrecision weights) {
        return new EncoderSpec(kMax, normalise, Activation.RELU, weights);
    }

    @Override
    public StepTerms stepTerms(Graph g, int d) {
        return new Terms(g, d);
    }

    @Override
    public SparseTerms sparseTerms(SettingValues s, int d) {
        return new PenalisedSparseTerms(this, d, null);
    }

    @Override
    public Map<String, Number> constants(SettingValues s, int d) {
        Map<String, Number> c = new LinkedHashMap<>();
        c.put("lambda1", s.get(LAMBDA1));
        c.put("lambda2", lambda2(s));
        c.put("ema_beta", s.get(AdaptiveWeights.BETA));
        c.put("gamma", s.get(AdaptiveWeights.GAMMA));
        c.put("w_min", s.get(AdaptiveWeights.W_MIN));
        c.put("w_max", s.get(AdaptiveWeights.W_MAX));
        c.put(REFERENCE_COUNT, (long) AdaptiveWeights.referenceCount(s, d));
        return c;
    }

    @Override
    public Map<String, Double> perStep(SettingValues s, long t) {
        return Map.of("phi", phi(s, t));
    }

    @Override
    public List<String> state() {
        return List.of(EMA);
    }

    @Override
    public List<String> outputs() {
        return List.of(WEIGHTS);
    }

    /** The penalised part of the step: ReLU codes, adaptive weights, L1 and L2 terms. */
    static class Terms implements StepTerms {
        final Graph g;
        final int d;
        final Map<String, String> s = new LinkedHashMap<>();
        final String ema;
        private String emaNew;
        private String w;
        private String wt;

        Terms(Graph g, int d) {
            this.g = g;
            this.d = d;
            for (String name : SCALARS) s.put(name, g.input(name));
            ema = g.input(EMA, d);
            s.put(REFERENCE_COUNT, g.input(REFERENCE_COUNT, DataType.INT64, 1));
        }

        @Override
        public Codes codes(String pre) {
            return new Codes(g.op("Greater", pre, g.scalar(0)), g.op("Relu", pre));
        }

        @Override
        public Loss loss(Forward f) {
            // The adaptive weights, in docs/aen-sae.md's order: this batch's mean |h| enters the
            // EMA before the weights this step uses are taken from it (no gradient flows through).
            String one = g.scalar(1);
            emaNew =
                    g.add(
                            g.mul(s.get("ema_beta"), ema),
                            g.mul(g.sub(one, s.get("ema_beta")), f.meanAbsH()));
            String top =
                    g.ops(
                                    2,
                                    "TopK",
                                    Map.of("axis", -1L, "largest", 1L, "sorted", 1L),
                                    emaNew,
                                    s.get(REFERENCE_COUNT))[0];
            String reference = g.op("ReduceMean", Map.of("keepdims", 0L), top);
            String ratio =
                    g.div(reference, g.op("Max", emaNew, g.scalar(AdaptiveWeights.EMA_FLOOR)));
            w =
                    g.op(
                            "Min",
                            g.op("Max", g.op("Pow", ratio, s.get("gamma")), s.get("w_min")),
                            s.get("w_max"));
            wt = g.add(one, g.mul(g.sub(w, one), s.get("phi")));
            String l1 =
                    g.div(
                            g.mul(s.get("lambda1"), g.sum(g.mul(f.colSumH(), wt), false, 0)),
                            f.batch());
            String l2 = g.div(g.mul(s.get("lambda2"), g.sumSquares(f.h(), false)), f.batch());
            return new Loss(l1, l2, null);
        }

        @Override
        public String dH(Forward f, String dXhat) {
            // The L1 term's gradient is the same for every row: Gemm adds it as its C input,
            // saving a pass over [B, D].
            String l1Grad = g.mul(g.div(s.get("lambda1"), f.batch()), wt);
            return g.add(
                    g.op("Gemm", dXhat, f.wDec(), l1Grad),
                    g.mul(g.div(g.mul(g.scalar(2), s.get("lambda2")), f.batch()), f.h()));
        }

        @Override
        public void outputs() {
            g.output(emaNew, StepTerms.next(EMA), d);
            g.output(w, WEIGHTS, d);
            g.output(wt, "wt", d);
        }
    }
}
