package dev.aenstream.sae.penalty;

import static dev.aenstream.sae.setting.Setting.Defaults.always;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.aenstream.sae.onnx.Graph;
import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.Setting.Rule;
import dev.aenstream.sae.setting.SettingValues;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TopK with the auxiliary loss of Gao et al. (2024) for dead features, the remedy TopK users
 * compare against (docs/aen-sae.md, "AuxK"): the residual of the main reconstruction is
 * reconstructed again from each row's {@link #K_AUX} largest codes among the features that have not
 * fired for {@link #DEAD_TOKENS} tokens, and that reconstruction's error, weighted by {@link
 * #COEF}, joins the loss. Its gradient reaches the dead features' encoder rows and atoms.
 */
public final class AuxK extends TopK {
    public static final Setting<Integer> K_AUX =
            Setting.integer(
                    "auxkK",
                    "auxk-k",
                    "K",
                    always(512),
                    Rule.positive(),
                    "Dead features per row that reconstruct the residual, at most D (auxk)");
    public static final Setting<Double> COEF =
            Setting.real(
                    "auxkCoef",
                    "auxk-coef",
                    "ALPHA",
                    always(1.0 / 32),
                    Rule.nonNegative(),
                    "Weight of the AuxK loss (auxk)");
    public static final Setting<Long> DEAD_TOKENS =
            Setting.whole(
                    "auxkDeadTokens",
                    "auxk-dead-tokens",
                    "TOKENS",
                    always(10_000_000L),
                    Rule.nonNegative(),
                    "Tokens without firing after which the AuxK loss acts on a feature (auxk)");

    /** Scalar inputs of the AuxK step: the loss's weight and the dead threshold in tokens. */
    static final List<String> INPUTS = List.of("auxk_coef", "auxk_dead_tokens");

    /** int64 [1] input: how many dead codes per row reconstruct the residual. */
    static final String K_AUX_INPUT = "auxk_k";

    AuxK() {}

    @Override
    public String label() {
        return "auxk";
    }

    @Override
    public String description() {
        return "TopK with the AuxK loss";
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(K, K_AUX, COEF, DEAD_TOKENS);
    }

    @Override
    public StepTerms stepTerms(Graph g, int d) {
        return new Auxiliary(g, d);
    }

    /**
     * TopK's sparse terms with the auxiliary loss: the sparse step has every pre-activation at hand
     * to choose each row's dead codes from, and touches only those.
     */
    @Override
    SparseTerms.DeadFeatureLoss deadFeatureLoss(SettingValues s, int d) {
        return new SparseTerms.DeadFeatureLoss(
                Math.min(s.get(K_AUX), d), s.get(COEF), s.get(DEAD_TOKENS).doubleValue());
    }

    @Override
    public Map<String, Number> constants(SettingValues s, int d) {
        Map<String, Number> c = new LinkedHashMap<>(super.constants(s, d));
        SparseTerms.DeadFeatureLoss aux = deadFeatureLoss(s, d);
        c.put(K_AUX_INPUT, (long) aux.kAux());
        c.put("auxk_coef", aux.coef());
        c.put("auxk_dead_tokens", aux.deadTokens());
        return c;
    }

    @Override
    public List<String> state() {
        return List.of(SINCE_FIRED);
    }

    @Override
    public List<String> outputs() {
        return List.of(AUX_LOSS);
    }

    /**
     * TopK's terms plus the auxiliary loss: with s_j the tokens since feature j last fired before
     * this batch, dead_j = [s_j > dead tokens]; z keeps, per row, the k_aux largest positive
     * pre-activations among dead features; with the residual r = x - xhat held constant, loss =
     * coef mean((W_dec z - r)^2), without b_dec, and 0 while no feature is dead. s_j becomes 0
     * where j fired in the batch, else s_j + B. The gradient reaches W_dec directly and W_enc,
     * b_enc and b_dec through z's pre-activations, as the main codes' does.
     */
    private static final class Auxiliary extends Terms {
        private final Map<String, String> in = new LinkedHashMap<>();
        private final int d;
        private final String kAux;
        private final String since;
        private String loss;
        private String sinceNew;
        private Map<String, String> gradients;

        Auxiliary(Graph g, int d) {
            super(g);
            this.d = d;
            for (String name : INPUTS) in.put(name, g.input(name));
            kAux = g.input(K_AUX_INPUT, DataType.INT64, 1);
            since = g.input(SINCE_FIRED, d);
        }

        @Override
        public Loss loss(Forward f) {
            String dead = g.op("Greater", since, in.get("auxk_dead_tokens"));
            sinceNew =
                    g.op(
                            "Where",
                            g.op("Greater", f.fireCounts(), g.scalar(0)),
                            g.scalar(0),
                            g.add(since, f.batch()));
            String masked = g.op("Where", dead, f.pre(), g.scalar(Double.NEGATIVE_INFINITY));
            String active = largest(masked, kAux);
            String z = g.op("Where", active, f.pre(), g.scalar(0));
            String residual = g.sub(g.scalar(0), f.e());
            String error = g.sub(g.op("Gemm", Map.of("transB", 1L), z, f.wDec()), residual);
            String coef = in.get("auxk_coef");
            // No dead feature, no loss (as sparsify has it): W_dec z = 0 would leave a constant.
            String anyDead = g.op("ReduceMax", Map.of("keepdims", 0L), g.toReal(dead));
            loss = g.mul(g.mul(coef, anyDead), g.div(g.sumSquares(error, false), f.batchN()));
            String dRecon = g.mul(error, g.div(g.mul(g.scalar(2), coef), f.batchN()));
            String dPre = g.op("Where", active, g.op("MatMul", dRecon, f.wDec()), g.scalar(0));
            String dPreSum = g.sum(dPre, false, 0);
            String throughEncoder =
                    g.op("MatMul", g.op("Unsqueeze", dPreSum, g.longs(0)), f.wEnc());
            gradients =
                    Map.of(
                            "W_enc", g.op("Gemm", Map.of("transA", 1L), dPre, f.xc()),
                            "b_enc", dPreSum,
                            "W_dec", g.op("Gemm", Map.of("transA", 1L), dRecon, z),
                            "b_dec",
                                    g.sub(
                                            g.scalar(0),
                                            g.op("Squeeze", throughEncoder, g.longs(0))));
            Loss topK = super.loss(f);
            return new Loss(topK.l1(), topK.l2(), loss);
        }

        @Override
        public Map<String, String> ownGradients() {
            return gradients;
        }

        @Override
        public void outputs() {
            g.output(loss, AUX_LOSS);
            g.output(sinceNew, StepTerms.next(SINCE_FIRED), d);
        }
    }
}
