package dev.aenstream.sae.importers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.Safetensors;
import dev.aenstream.sae.onnx.Activation;
import dev.aenstream.sae.onnx.EncoderSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads an SAELens SAE ({@code cfg.json} and {@code sae_weights.safetensors}, W_enc stored d_in x
 * d_sae) of the "standard" (ReLU), "topk" or "jumprelu" architecture (ReLU where the pre-activation
 * passes a threshold per feature, as Gemma Scope's SAEs), or "gated" and "batchtopk", which are
 * served as JumpReLUs that give exactly their codes. When {@code apply_b_dec_to_input} is false,
 * W_enc b_dec is folded into b_enc, so our encoder's {@code W_enc (x - b_dec) + b_enc} computes
 * SAELens' codes exactly.
 */
public final class SaeLensImporter {
    static final String WEIGHTS = "sae_weights.safetensors";

    /**
     * SAELens's normalize_activations that rescales each row to L2 norm sqrt(d_in) and the output
     * back: what aen's normalising encoders do.
     */
    static final String NORM_RESCALE = "constant_norm_rescale";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.List<String> ARCHITECTURES =
            java.util.List.of("standard", "topk", "jumprelu", "gated", "batchtopk");

    private SaeLensImporter() {}

    public static boolean looksLike(Path dir) {
        return Files.isRegularFile(dir.resolve("cfg.json"))
                && Files.isRegularFile(dir.resolve(WEIGHTS));
    }

    public static ImportedSae read(Path dir, int defaultKMax) throws IOException {
        JsonNode cfg = JSON.readTree(dir.resolve("cfg.json").toFile());
        String arch = cfg.path("architecture").asText("standard");
        if (!ARCHITECTURES.contains(arch)) {
            throw new IOException(
                    dir
                            + ": SAELens architecture '"
                            + arch
                            + "' is not supported ("
                            + String.join(", ", ARCHITECTURES)
                            + " are)");
        }
        String norm = cfg.path("normalize_activations").asText("none");
        if (!norm.equals("none") && !norm.equals(NORM_RESCALE)) {
            throw new IOException(
                    dir
                            + ": SAELens normalize_activations='"
                            + norm
                            + "' is not supported ('none' and '"
                            + NORM_RESCALE
                            + "' are)");
        }
        Safetensors.Contents w = Safetensors.read(dir.resolve(WEIGHTS));
        Safetensors.Tensor wEncT = w.require("W_enc");
        int[] dims = w.matrix("W_enc");
        int n = dims[0];
        int d = dims[1];
        checkDims(dir, cfg, n, d);
        float[] wEnc = Layouts.transpose(wEncT.toFloats(), n, d);
        float[] wDec = Layouts.transpose(w.matrixFloats("W_dec", d, n), d, n);
        float[] bDec = w.vectorFloats("b_dec", n);
        float[] bEnc;
        float[] threshold = null;
        if (arch.equals("gated")) {
            Gated g = gated(dir, w, wEnc, n, d);
            bEnc = g.bEnc();
            threshold = g.threshold();
        } else {
            bEnc = w.vectorFloats("b_enc", d);
            if (arch.equals("jumprelu")) threshold = threshold(dir, w, d);
            if (arch.equals("batchtopk")) threshold = batchThreshold(dir, w, d);
        }
        if (!cfg.path("apply_b_dec_to_input").asBoolean(true)) {
            for (int j = 0; j < d; j++) {
                double acc = bEnc[j];
                for (int i = 0; i < n; i++) acc += (double) wEnc[j * n + i] * bDec[i];
                bEnc[j] = (float) acc;
            }
        }
        int k =
                arch.equals("topk")
                        ? cfg.path("activation_fn_kwargs")
                                .path("k")
                                .asInt(cfg.path("k").asInt(defaultKMax))
                        : defaultKMax;
        return new ImportedSae(
                new SaeParameters(n, d, wEnc, bEnc, wDec, bDec),
                new EncoderSpec(Math.min(k, d), norm.equals(NORM_RESCALE), activation(arch)),
                "SAELens " + arch + " SAE from " + dir,
                text(cfg, "model_name"),
                text(cfg, "hook_name"),
                threshold);
    }

    /**
     * The activation an SAE of SAELens' {@code arch} is served with: gated and BatchTopK SAEs as
     * the JumpReLU their inference equals.
     */
    private static Activation activation(String arch) {
        if (arch.equals("gated") || arch.equals("batchtopk")) return Activation.JUMP_RELU;
        for (Activation a : Activation.ALL) if (a.saeLensArchitecture().equals(arch)) return a;
        throw new IllegalArgumentException("no activation serves SAELens' " + arch);
    }

    /** The gated SAE's encoder as a JumpReLU: its W_enc scaled in place, b_enc and thresholds. */
    private record Gated(float[] bEnc, float[] threshold) {}

    /**
     * A gated SAE computes f = (W x + b_gate > 0) · ReLU(e^r ⊙ W x + b_mag) per feature. With pre =
     * e^r ⊙ W x + b_mag the gate is W x > −b_gate, that is pre > b_mag − b_gate e^r (e^r > 0): a
     * JumpReLU of the scaled encoder W' = e^r ⊙ W, b_enc = b_mag and θ = b_mag − b_gate e^r, so it
     * is served exactly as one.
     */
    private static Gated gated(Path dir, Safetensors.Contents w, float[] wEnc, int n, int d)
            throws IOException {
        float[] bGate = perFeature(dir, w, "b_gate", d);
        float[] bMag = perFeature(dir, w, "b_mag", d);
        float[] rMag = perFeature(dir, w, "r_mag", d);
        float[] threshold = new float[d];
        for (int j = 0; j < d; j++) {
            double scale = Math.exp(rMag[j]);
            for (int i = 0; i < n; i++) wEnc[j * n + i] = (float) (wEnc[j * n + i] * scale);
            threshold[j] = (float) (bMag[j] - bGate[j] * scale);
        }
        return new Gated(bMag, threshold);
    }

    /**
     * A BatchTopK SAE's inference threshold: its codes at training depend on the whole batch, so it
     * is served, as SAELens serves it, as a JumpReLU at the one threshold it estimated ({@code
     * topk_threshold}, or a per-feature {@code threshold}).
     */
    private static float[] batchThreshold(Path dir, Safetensors.Contents w, int d)
            throws IOException {
        if (w.tensors().containsKey("threshold")) return perFeature(dir, w, "threshold", d);
        if (!w.tensors().containsKey("topk_threshold"))
            throw new IOException(
                    dir
                            + ": a batchtopk SAE needs its inference threshold (topk_threshold):"
                            + " without it its codes depend on the batch, and no per-token encoder"
                            + " gives them");
        float[] t = w.require("topk_threshold").toFloats();
        if (t.length != 1)
            throw new IOException(dir + ": topk_threshold has " + t.length + " values, not one");
        float[] out = new float[d];
        java.util.Arrays.fill(out, t[0]);
        return out;
    }

    private static float[] perFeature(Path dir, Safetensors.Contents w, String name, int d)
            throws IOException {
        float[] v = w.require(name).toFloats();
        if (v.length != d)
            throw new IOException(
                    dir + ": " + name + " has " + v.length + " values for " + d + " features");
        return v;
    }

    /**
     * A JumpReLU's thresholds: {@code threshold}, or {@code log_threshold} as older SAEs store it.
     */
    private static float[] threshold(Path dir, Safetensors.Contents w, int d) throws IOException {
        float[] t;
        if (w.tensors().containsKey("threshold")) {
            t = w.require("threshold").toFloats();
        } else if (w.tensors().containsKey("log_threshold")) {
            t = w.require("log_threshold").toFloats();
            for (int j = 0; j < t.length; j++) t[j] = (float) Math.exp(t[j]);
        } else {
            throw new IOException(dir + ": a jumprelu SAE needs a threshold (or log_threshold)");
        }
        if (t.length != d)
            throw new IOException(
                    dir + ": threshold has " + t.length + " values for " + d + " features");
        return t;
    }

    /** A string field of the config, or null when it is missing or empty. */
    static String text(JsonNode cfg, String field) {
        String value = cfg.path(field).asText("");
        return value.isEmpty() ? null : value;
    }

    private static void checkDims(Path dir, JsonNode cfg, int n, int d) throws IOException {
        if (cfg.has("d_in") && cfg.get("d_in").asInt() != n
                || cfg.has("d_sae") && cfg.get("d_sae").asInt() != d) {
            throw new IOException(
                    dir
                            + ": cfg.json says d_in="
                            + cfg.path("d_in")
                            + ", d_sae="
                            + cfg.path("d_sae")
                            + " but W_enc is "
                            + n
                            + " x "
                            + d);
        }
    }
}
