package dev.aenstream.sae.penalty;

import static dev.aenstream.sae.setting.Setting.Defaults.always;

import dev.aenstream.sae.onnx.Graph;
import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.Setting.Rule;
import dev.aenstream.sae.setting.SettingValues;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Vanilla L1 plus the ghost-gradient proxy loss for persistently dead features, the baseline the
 * authors run on Llama (docs/aen-sae.md, "Ghost gradients"), with their settings as defaults.
 */
public final class Ghost extends Penalised {
    public static final Setting<Double> SCALE =
            Setting.real(
                    "ghostScale",
                    "ghost-scale",
                    "S",
                    always(0.1),
                    Rule.nonNegative(),
                    "Weight of the ghost-gradient proxy loss (ghost)");
    public static final Setting<Double> THRESHOLD =
            Setting.real(
                    "ghostThreshold",
                    "ghost-threshold",
                    "F",
                    always(1e-6),
                    Rule.nonNegative(),
                    "Firing EMA at or below which a feature is persistently dead (ghost)");
    public static final Setting<Double> BETA =
            Setting.real(
                    "ghostBeta",
                    "ghost-beta",
                    "BETA",
                    always(0.9999),
                    Rule.decay(),
                    "Decay of the firing EMA (ghost)");
    public static final Setting<Long> MIN_STEPS =
            Setting.whole(
                    "ghostMinSteps",
                    "ghost-min-steps",
                    "STEPS",
                    always(2_000L),
                    Rule.nonNegative(),
                    "First step the ghost proxy loss applies at (ghost)");

    /**
     * Scalar inputs of the ghost step: the proxy loss's weight, the firing EMA's dead threshold and
     * decay, and whether the proxy applies at this step (1 from the minimum step on, else 0).
     */
    static final List<String> INPUTS =
            List.of("ghost_scale", "ghost_threshold", "ghost_beta", "ghost_on");

    Ghost() {
        super("ghost", "L1 with ghost gradients", List.of(SCALE, THRESHOLD, BETA, MIN_STEPS));
    }

    /**
     * L1's sparse terms with the proxy: its products cost {@code B n} per persistently dead
     * feature, so the step is sparse while few are.
     */
    @Override
    public SparseTerms sparseTerms(SettingValues s, int d) {
        return new PenalisedSparseTerms(
                this,
                d,
                new SparseTerms.DeadFeatureProxy(
                        s.get(SCALE), s.get(THRESHOLD), s.get(BETA), s.get(MIN_STEPS)));
    }

    @Override
    public StepTerms stepTerms(Graph g, int d) {
        return new Proxy(g, d);
    }

    @Override
    public Map<String, Number> constants(SettingValues s, int d) {
        Map<String, Number> c = new LinkedHashMap<>(super.constants(s, d));
        c.put("ghost_scale", s.get(SCALE));
        c.put("ghost_threshold", s.get(THRESHOLD));
        c.put("ghost_beta", s.get(BETA));
        return c;
    }

    @Override
    public Map<String, Double> perStep(SettingValues s, long t) {
        Map<String, Double> v = new LinkedHashMap<>(super.perStep(s, t));
        v.put("ghost_on", t >= s.get(MIN_STEPS) ? 1.0 : 0.0);
        return v;
    }

    @Override
    public List<String> state() {
        return List.of(EMA, FIRING_EMA);
    }

    @Override
    public List<String> outputs() {
        return List.of(WEIGHTS, AUX_LOSS);
    }

    /**
     * The L1 terms plus the proxy: f_j <- beta f_j + (1 - beta) fired_j, with fired_j the share of
     * rows on which feature j fired; dead_j = [f_j <= threshold]; with the residual r = x - xhat
     * held constant, a = softplus(W_enc r + b_enc) * dead * on, g = W_dec a (no bias), loss = scale
     * mean((r - g)^2). Its gradients reach W_enc and b_enc through a, and W_dec through g.
     */
    private static final class Proxy extends Terms {
        private final Map<String, String> in = new LinkedHashMap<>();
        private final String firingEma;
        private String loss;
        private String firingNew;
        private Map<String, String> gradients;

        Proxy(Graph g, int d) {
            super(g, d);
            for (String name : INPUTS) in.put(name, g.input(name));
            firingEma = g.input(FIRING_EMA, d);
        }

        @Override
        public Loss loss(Forward f) {
            Loss l1 = super.loss(f);
            String one = g.scalar(1);
            String fired = g.div(f.fireCounts(), f.batch());
            firingNew =
                    g.add(
                            g.mul(in.get("ghost_beta"), firingEma),
                            g.mul(g.sub(one, in.get("ghost_beta")), fired));
            String gate =
                    g.mul(
                            g.toReal(
                                    g.op(
                                            "Not",
                                            g.op("Greater", firingNew, in.get("ghost_threshold")))),
                            in.get("ghost_on"));
            String residual = g.sub(g.scalar(0), f.e());
            String logits = g.op("Gemm", Map.of("transB", 1L), residual, f.wEnc(), f.bEnc());
            String proxy = g.mul(g.op("Softplus", logits), gate);
            String ghostRecon = g.op("Gemm", Map.of("transB", 1L), proxy, f.wDec());
            String ghostError = g.sub(ghostRecon, residual);
            loss = g.mul(in.get("ghost_scale"), g.div(g.sumSquares(ghostError, false), f.batchN()));
            String dRecon =
                    g.mul(ghostError, g.div(g.mul(g.scalar(2), in.get("ghost_scale")), f.batchN()));
            String dLogits =
                    g.mul(g.op("MatMul", dRecon, f.wDec()), g.mul(g.op("Sigmoid", logits), gate));
            gradients =
                    Map.of(
                            "W_enc", g.op("Gemm", Map.of("transA", 1L), dLogits, residual),
                            "b_enc", g.sum(dLogits, false, 0),
                            "W_dec", g.op("Gemm", Map.of("transA", 1L), dRecon, proxy));
            return new Loss(l1.l1(), l1.l2(), loss);
        }

        @Override
        public Map<String, String> ownGradients() {
            return gradients;
        }

        @Override
        public void outputs() {
            super.outputs();
            g.output(loss, AUX_LOSS);
            g.output(firingNew, StepTerms.next(FIRING_EMA), d);
        }
    }
}
