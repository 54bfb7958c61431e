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
import java.util.List;
import java.util.Map;

/**
 * TopK: each row keeps its k largest positive pre-activations and the loss is the MSE alone, so
 * sparsity is set by k rather than by a penalty. {@link AuxK} adds the auxiliary loss for dead
 * features.
 */
public sealed class TopK implements Penalty permits AuxK {
    public static final Setting<Integer> K =
            Setting.integer(
                    "k",
                    "topk",
                    "K",
                    always(32),
                    Rule.positive(),
                    "Active features per row of a TopK SAE (capped at D)");

    /** int64 [1] input: k. */
    public static final String K_INPUT = "k";

    TopK() {}

    @Override
    public String label() {
        return "topk";
    }

    @Override
    public String description() {
        return "TopK";
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(K);
    }

    @Override
    public void validate(SettingValues s, int d) {
        if (s.get(K) > d)
            throw new IllegalArgumentException(
                    "TopK needs 1 <= k <= D, got k=" + s.get(K) + " for D=" + d);
    }

    @Override
    public int kMax(SettingValues s, int cut) {
        return s.get(K);
    }

    @Override
    public EncoderSpec encoderSpec(int kMax, boolean normalise, WeightPrecision weights) {
        return new EncoderSpec(kMax, normalise, Activation.TOP_K, weights);
    }

    @Override
    public StepTerms stepTerms(Graph g, int d) {
        return new Terms(g);
    }

    @Override
    public SparseTerms sparseTerms(SettingValues s, int d) {
        int k = s.get(K);
        SparseTerms.DeadFeatureLoss aux = deadFeatureLoss(s, d);
        return new SparseTerms() {
            @Override
            public int k() {
                return k;
            }

            @Override
            public double[] loss(
                    SettingValues now, double[] colSumH, double sumSquaresH, int rows, double phi) {
                return new double[] {0, 0};
            }

            @Override
            public double dH(int j, float h) {
                return 0;
            }

            @Override
            public float[] weights() {
                return null;
            }

            @Override
            public float[] ema() {
                return null;
            }

            @Override
            public void load(float[] ema) {}

            @Override
            public void applied() {}

            @Override
            public DeadFeatureLoss deadFeatureLoss() {
                return aux;
            }
        };
    }

    /** The auxiliary loss on dead features of the sparse step: none for plain TopK. */
    SparseTerms.DeadFeatureLoss deadFeatureLoss(SettingValues s, int d) {
        return null;
    }

    @Override
    public Map<String, Number> constants(SettingValues s, int d) {
        return Map.of(K_INPUT, (long) s.get(K));
    }

    @Override
    public Map<String, Double> perStep(SettingValues s, long t) {
        return Map.of();
    }

    @Override
    public List<String> state() {
        return List.of();
    }

    @Override
    public List<String> outputs() {
        return List.of();
    }

    /** TopK's part of the dense step: the k largest positive codes, no penalty. */
    static class Terms implements StepTerms {
        final Graph g;
        private final String k;

        Terms(Graph g) {
            this.g = g;
            k = g.input(K_INPUT, DataType.INT64, 1);
        }

        @Override
        public Codes codes(String pre) {
            String active = largest(pre, k);
            return new Codes(active, g.op("Where", active, pre, g.scalar(0)));
        }

        /** Where {@code pre} is positive and among its row's {@code count} largest. */
        String largest(String pre, String count) {
            String kth =
                    g.op(
                            "ReduceMin",
                            Map.of("axes", new long[] {1}, "keepdims", 1L),
                            g.ops(
                                            2,
                                            "TopK",
                                            Map.of("axis", -1L, "largest", 1L, "sorted", 1L),
                                            pre,
                                            count)[0]);
            return g.op("And", g.op("Greater", pre, g.scalar(0)), g.op("GreaterOrEqual", pre, kth));
        }

        @Override
        public Loss loss(Forward f) {
            String zero = g.scalar(0);
            return new Loss(zero, zero, null);
        }

        @Override
        public String dH(Forward f, String dXhat) {
            return g.op("MatMul", dXhat, f.wDec());
        }

        @Override
        public void outputs() {}
    }
}
