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
 * Reads an EleutherAI sparsify SAE ({@code cfg.json} and {@code sae.safetensors}: encoder.weight
 * [D, n], encoder.bias, W_dec [D, n], b_dec). Its codes are the top k of ReLU(encoder(x - b_dec)),
 * which is our encoder with k_max = k. Options that would make it compute something else (another
 * activation such as groupmax, a skip connection, a transcoder) are refused by name.
 */
public final class SparsifyImporter {
    static final String WEIGHTS = "sae.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SparsifyImporter() {}

    public static boolean looksLike(Path dir) {
        return Files.isRegularFile(dir.resolve("cfg.json"))
                && Files.isRegularFile(dir.resolve(WEIGHTS));
    }

    public static ImportedSae read(Path dir) throws IOException {
        JsonNode cfg = JSON.readTree(dir.resolve("cfg.json").toFile());
        if (!cfg.has("k")) throw new IOException(dir + ": sparsify cfg.json has no k");
        // Options that change what the SAE computes: serving one as a plain TopK SAE would give
        // wrong codes, so each is refused by name.
        String activation = cfg.path("activation").asText("topk");
        if (!activation.equals("topk"))
            throw new IOException(
                    dir
                            + ": sparsify activation '"
                            + activation
                            + "' is not supported (only topk is)");
        for (String option : new String[] {"skip_connection", "transcode"})
            if (cfg.path(option).asBoolean(false))
                throw new IOException(
                        dir + ": sparsify option " + option + "=true is not supported");
        Safetensors.Contents w = Safetensors.read(dir.resolve(WEIGHTS));
        Safetensors.Tensor enc = w.require("encoder.weight");
        int[] dims = w.matrix("encoder.weight");
        int d = dims[0];
        int n = dims[1];
        if (cfg.has("d_in") && cfg.get("d_in").asInt() != n) {
            throw new IOException(
                    dir
                            + ": cfg.json says d_in="
                            + cfg.get("d_in")
                            + " but encoder.weight is "
                            + d
                            + " x "
                            + n);
        }
        float[] wDec = Layouts.transpose(w.matrixFloats("W_dec", d, n), d, n);
        int k = cfg.get("k").asInt();
        return new ImportedSae(
                new SaeParameters(
                        n,
                        d,
                        enc.toFloats(),
                        w.vectorFloats("encoder.bias", d),
                        wDec,
                        w.vectorFloats("b_dec", n)),
                new EncoderSpec(Math.min(k, d), false, Activation.TOP_K),
                "sparsify TopK(k=" + k + ") SAE from " + dir,
                null,
                // sparsify names an SAE's folder after the hook point it was trained on.
                dir.toAbsolutePath().getFileName().toString(),
                null);
    }
}
