package dev.aenstream.sae.importers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.Safetensors;
import dev.aenstream.sae.onnx.EncoderSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads an SAELens SAE ({@code cfg.json} and {@code sae_weights.safetensors}, W_enc stored d_in x
 * d_sae) of the "standard" (ReLU), "topk" or "jumprelu" architecture (ReLU where the pre-activation
 * passes a threshold per feature, as Gemma Scope's SAEs). When {@code apply_b_dec_to_input} is
 * false, W_enc b_dec is folded into b_enc, so our encoder's {@code W_enc (x - b_dec) + b_enc}
 * computes SAELens' codes exactly.
 */
public final class SaeLensImporter {
    static final String WEIGHTS = "sae_weights.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SaeLensImporter() {}

    public static boolean looksLike(Path dir) {
        return Files.isRegularFile(dir.resolve("cfg.json"))
                && Files.isRegularFile(dir.resolve(WEIGHTS));
    }

    public static ImportedSae read(Path dir, int defaultKMax) throws IOException {
        JsonNode cfg = JSON.readTree(dir.resolve("cfg.json").toFile());
        String arch = cfg.path("architecture").asText("standard");
        if (!arch.equals("standard") && !arch.equals("topk") && !arch.equals("jumprelu")) {
            throw new IOException(
                    dir
                            + ": SAELens architecture '"
                            + arch
                            + "' is not supported (standard, topk and jumprelu are)");
        }
        String norm = cfg.path("normalize_activations").asText("none");
        if (!norm.equals("none")) {
            throw new IOException(
                    dir
                            + ": SAELens normalize_activations='"
                            + norm
                            + "' is not supported; export with 'none'");
        }
        Safetensors.Contents w = Safetensors.read(dir.resolve(WEIGHTS));
        Safetensors.Tensor wEncT = w.require("W_enc");
        int n = Math.toIntExact(wEncT.shape()[0]);
        int d = Math.toIntExact(wEncT.shape()[1]);
        checkDims(dir, cfg, n, d);
        float[] wEnc = Layouts.transpose(wEncT.toFloats(), n, d);
        float[] wDec = Layouts.transpose(w.require("W_dec").toFloats(), d, n);
        float[] bEnc = w.require("b_enc").toFloats();
        float[] bDec = w.require("b_dec").toFloats();
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
        float[] threshold = arch.equals("jumprelu") ? threshold(dir, w, d) : null;
        return new ImportedSae(
                new SaeParameters(n, d, wEnc, bEnc, wDec, bDec),
                new EncoderSpec(Math.min(k, d), false, arch.equals("topk")),
                "SAELens " + arch + " SAE from " + dir,
                text(cfg, "model_name"),
                text(cfg, "hook_name"),
                threshold);
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
