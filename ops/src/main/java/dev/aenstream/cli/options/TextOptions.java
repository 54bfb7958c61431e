package dev.aenstream.cli.options;

import dev.aenstream.produce.text.TextSource;
import dev.aenstream.produce.transformer.ModelSource;
import dev.aenstream.produce.transformer.Tokeniser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which text a language model reads, how it is cut into sequences, and which tensor is tapped. */
public final class TextOptions {
    @Option(
            names = "--tokenizer",
            paramLabel = "PATH",
            description =
                    "HuggingFace tokenizer.json (default: tokenizer.json beside the model; the"
                            + " bundled one for minilm).")
    Path tokenizer;

    @Option(
            names = "--hook",
            paramLabel = "NAME",
            description =
                    "Tensor to tap, as --list-hooks prints it (default for minilm: the residual"
                            + " stream after layer 3 of 6; required for other models).")
    String hook;

    @Option(
            names = "--text",
            paramLabel = "FILE|DIR|-|" + TextSource.CORPUS,
            description =
                    "Text to run: a UTF-8 file, a directory of them, - for standard input (one"
                            + " document per line), or '"
                            + TextSource.CORPUS
                            + "': the English speeches of the Europarl sample bundled through Maven"
                            + " (default: ${DEFAULT-VALUE}).")
    public String text = TextSource.CORPUS;

    @Option(
            names = "--seq-len",
            paramLabel = "TOKENS",
            description =
                    "Longest sequence, special tokens included; longer documents continue in the"
                            + " next sequence (default: ${DEFAULT-VALUE}).")
    int seqLen = 128;

    @Option(
            names = "--batch",
            paramLabel = "SEQUENCES",
            description =
                    "Sequences per ONNX Runtime call, padded to the longest (default:"
                            + " ${DEFAULT-VALUE}).")
    public int batch = 8;

    public void validate() {
        if (seqLen < 2)
            throw new IllegalArgumentException("--seq-len must be at least 2, got " + seqLen);
        if (batch <= 0)
            throw new IllegalArgumentException("--batch must be positive, got " + batch);
    }

    public ModelSource model(String model) throws IOException {
        return ModelSource.resolve(model, tokenizer);
    }

    /** The hook to tap: --hook, else the model's default. */
    public String hook(ModelSource source) {
        String h = hook != null ? hook : source.defaultHook();
        if (h == null)
            throw new IllegalArgumentException(
                    "--hook is required for "
                            + source.name()
                            + "; --list-hooks prints the candidates");
        return h;
    }

    public Tokeniser tokeniser(ModelSource source) throws IOException {
        return new Tokeniser(new ByteArrayInputStream(source.tokenizerJson()), seqLen);
    }
}
