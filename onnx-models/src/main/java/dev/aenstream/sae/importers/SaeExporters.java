package dev.aenstream.sae.importers;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.Safetensors;
import dev.aenstream.sae.onnx.Activation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes an SAE in other tools' layouts, so that what aen trained goes back to them: SAELens
 * ({@code cfg.json} and {@code sae_weights.safetensors}, W_enc [d_in, d_sae], W_dec [d_sae, d_in])
 * and EleutherAI sparsify ({@code cfg.json} and {@code sae.safetensors}, encoder.weight [D, n],
 * W_dec [D, n]). The importers read both back to the same parameters.
 */
public final class SaeExporters {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SaeExporters() {}

    /**
     * SAELens' layout in {@code dir}: the architecture its activation names ("standard", "topk" or
     * "jumprelu"), with b_dec subtracted from the input as ours is.
     */
    public static void saeLens(ImportedSae sae, Path dir, String modelName, String hookName)
            throws IOException {
        SaeParameters p = sae.params();
        ObjectNode cfg = JSON.createObjectNode();
        Activation activation = sae.spec().activation();
        cfg.put("architecture", activation.saeLensArchitecture());
        cfg.put("d_in", p.n());
        cfg.put("d_sae", p.d());
        cfg.put("dtype", "float32");
        cfg.put("device", "cpu");
        cfg.put("apply_b_dec_to_input", true);
        // SAELens's constant_norm_rescale is ours: x * sqrt(d_in) / |x| in, its inverse out.
        cfg.put(
                "normalize_activations",
                sae.spec().normalise() ? SaeLensImporter.NORM_RESCALE : "none");
        cfg.put("hook_name", hookName);
        cfg.put("model_name", modelName);
        activation
                .saeLensSettings(sae.spec().kMax())
                .forEach((key, value) -> cfg.set(key, JSON.valueToTree(value)));
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        tensors.put(
                "W_enc",
                Safetensors.Tensor.ofFloats(
                        Layouts.transpose(p.wEnc(), p.d(), p.n()), p.n(), p.d()));
        tensors.put("b_enc", Safetensors.Tensor.ofFloats(p.bEnc(), p.d()));
        tensors.put(
                "W_dec",
                Safetensors.Tensor.ofFloats(
                        Layouts.transpose(p.wDec(), p.n(), p.d()), p.d(), p.n()));
        tensors.put("b_dec", Safetensors.Tensor.ofFloats(p.bDec(), p.n()));
        if (sae.threshold() != null)
            tensors.put("threshold", Safetensors.Tensor.ofFloats(sae.threshold(), p.d()));
        write(dir, cfg, SaeLensImporter.WEIGHTS, tensors);
    }

    /**
     * sparsify's layout in {@code dir}: a TopK SAE (the only kind sparsify serves), without skip
     * connection or transcoding.
     *
     * @throws IOException for an SAE that is not TopK, whose codes sparsify would compute otherwise
     */
    public static void sparsify(ImportedSae sae, Path dir) throws IOException {
        Activation activation = sae.spec().activation();
        Map<String, Object> settings =
                activation
                        .sparsifySettings(sae.spec().kMax())
                        .orElseThrow(
                                () ->
                                        new IOException(
                                                "sparsify serves TopK SAEs only, and this one is "
                                                        + activation.label()
                                                        + " ("
                                                        + sae.source()
                                                        + "): sparsify would give it other codes;"
                                                        + " write it as saelens or onnx"));
        SaeParameters p = sae.params();
        ObjectNode cfg = JSON.createObjectNode();
        if (p.d() % p.n() == 0) cfg.put("expansion_factor", p.d() / p.n());
        else cfg.put("expansion_factor", (double) p.d() / p.n());
        cfg.put("normalize_decoder", true);
        cfg.put("num_latents", p.d());
        settings.forEach((key, value) -> cfg.set(key, JSON.valueToTree(value)));
        cfg.put("skip_connection", false);
        cfg.put("transcode", false);
        cfg.put("d_in", p.n());
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        tensors.put("encoder.weight", Safetensors.Tensor.ofFloats(p.wEnc(), p.d(), p.n()));
        tensors.put("encoder.bias", Safetensors.Tensor.ofFloats(p.bEnc(), p.d()));
        tensors.put(
                "W_dec",
                Safetensors.Tensor.ofFloats(
                        Layouts.transpose(p.wDec(), p.n(), p.d()), p.d(), p.n()));
        tensors.put("b_dec", Safetensors.Tensor.ofFloats(p.bDec(), p.n()));
        write(dir, cfg, SparsifyImporter.WEIGHTS, tensors);
    }

    private static void write(
            Path dir, ObjectNode cfg, String weights, Map<String, Safetensors.Tensor> tensors)
            throws IOException {
        Files.createDirectories(dir);
        Safetensors.write(dir.resolve(weights), tensors, Map.of("format", "pt"));
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("cfg.json").toFile(), cfg);
    }
}
