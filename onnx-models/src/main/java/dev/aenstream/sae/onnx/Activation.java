package dev.aenstream.sae.onnx;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What turns an encoder's pre-activations into codes, one small class per kind an encoder serves:
 * {@link Relu} (every penalised SAE we train, SAELens' "standard"), {@link TopK} (ours, SAELens'
 * and sparsify's "topk") and {@link JumpRelu} (SAELens' "jumprelu", and the gated and BatchTopK
 * SAEs, which are served as the JumpReLU their inference equals). Each kind owns its part of the
 * encoder's graph, the tensors it needs, and its names in other tools; nothing outside asks which
 * kind it is.
 */
public sealed interface Activation permits Activation.Relu, Activation.TopK, Activation.JumpRelu {
    Activation RELU = new Relu();
    Activation TOP_K = new TopK();
    Activation JUMP_RELU = new JumpRelu();

    /** Every kind, in the order the docs list them. */
    List<Activation> ALL = List.of(RELU, TOP_K, JUMP_RELU);

    /** The name in an encoder's metadata, e.g. {@code jumprelu}. */
    String name();

    /** The name people know it by, e.g. {@code JumpReLU}. */
    String label();

    /** SAELens' {@code architecture} for an SAE with this activation. */
    String saeLensArchitecture();

    /** Whether an SAE of this kind carries a threshold per feature. */
    boolean hasThresholds();

    /**
     * The codes {@code h} from the pre-activations {@code pre} [rows, D]; {@code thresholds} is the
     * graph's threshold tensor, or null for kinds without thresholds.
     */
    String codes(Graph g, String pre, String thresholds);

    /**
     * The codes the graph counts and reports, given {@code h} and the row's kept values {@code
     * kept} (its top-k, descending): all of {@code h}, or for a TopK SAE only what is kept.
     */
    default String counted(Graph g, String h, String kept) {
        return h;
    }

    /** What SAELens' {@code cfg.json} says besides the architecture, for an encoder of kMax k. */
    default Map<String, Object> saeLensSettings(int k) {
        return Map.of();
    }

    /**
     * sparsify's activation settings for an encoder of kMax {@code k}; empty for kinds sparsify
     * does not serve, which it would give other codes.
     */
    default Optional<Map<String, Object>> sparsifySettings(int k) {
        return Optional.empty();
    }

    /** The kind called {@code name}, as {@link #name} gives it. */
    static Activation named(String name) {
        for (Activation a : ALL) if (a.name().equals(name)) return a;
        throw new IllegalArgumentException(
                "unknown activation '" + name + "' (" + String.join(", ", names()) + ")");
    }

    private static List<String> names() {
        return ALL.stream().map(Activation::name).toList();
    }

    /**
     * Checks that an SAE of this kind comes with thresholds exactly when it needs them: {@code
     * count} is their number (-1: none) for {@code d} features.
     */
    default void checkThresholds(int count, int d) {
        if (hasThresholds() && count < 0)
            throw new IllegalArgumentException(
                    "a " + label() + " SAE needs a threshold per feature");
        if (!hasThresholds() && count >= 0)
            throw new IllegalArgumentException(
                    "a " + label() + " SAE has no thresholds, yet " + count + " were given");
        if (count >= 0 && count != d)
            throw new IllegalArgumentException("a threshold per feature: " + d + ", not " + count);
    }

    /** {@code h = ReLU(pre)}. */
    final class Relu implements Activation {
        private Relu() {}

        @Override
        public String name() {
            return "relu";
        }

        @Override
        public String label() {
            return "ReLU";
        }

        @Override
        public String saeLensArchitecture() {
            return "standard";
        }

        @Override
        public boolean hasThresholds() {
            return false;
        }

        @Override
        public String codes(Graph g, String pre, String thresholds) {
            return g.op("Relu", pre);
        }
    }

    /**
     * A TopK SAE: ReLU, then only the k largest codes of a row stay (k = the encoder's kMax), so a
     * feature below the k-th fires nowhere.
     */
    final class TopK implements Activation {
        private TopK() {}

        @Override
        public String name() {
            return "topk";
        }

        @Override
        public String label() {
            return "TopK";
        }

        @Override
        public String saeLensArchitecture() {
            return "topk";
        }

        @Override
        public boolean hasThresholds() {
            return false;
        }

        @Override
        public String codes(Graph g, String pre, String thresholds) {
            return g.op("Relu", pre);
        }

        @Override
        public String counted(Graph g, String h, String kept) {
            String kth = g.op("ReduceMin", Map.of("axes", new long[] {1}, "keepdims", 1L), kept);
            return g.op("Where", g.op("GreaterOrEqual", h, kth), h, g.scalar(0));
        }

        @Override
        public Map<String, Object> saeLensSettings(int k) {
            return Map.of("k", k, "activation_fn_kwargs", Map.of("k", k));
        }

        @Override
        public Optional<Map<String, Object>> sparsifySettings(int k) {
            return Optional.of(Map.of("activation", "topk", "k", k, "multi_topk", false));
        }
    }

    /** ReLU where the pre-activation passes the feature's threshold, else 0 (as SAELens). */
    final class JumpRelu implements Activation {
        private JumpRelu() {}

        @Override
        public String name() {
            return "jumprelu";
        }

        @Override
        public String label() {
            return "JumpReLU";
        }

        @Override
        public String saeLensArchitecture() {
            return "jumprelu";
        }

        @Override
        public boolean hasThresholds() {
            return true;
        }

        @Override
        public String codes(Graph g, String pre, String thresholds) {
            return g.op("Where", g.op("Greater", pre, thresholds), g.op("Relu", pre), g.scalar(0));
        }
    }
}
