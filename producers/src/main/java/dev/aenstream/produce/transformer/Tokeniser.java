package dev.aenstream.produce.transformer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A HuggingFace tokenizer (tokenizer.json, through DJL) that cuts a document into windows of at
 * most {@code maxLength} tokens, special tokens included, so no text is lost to truncation.
 */
public final class Tokeniser implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    public Tokeniser(InputStream tokenizerJson, int maxLength) throws IOException {
        if (maxLength < 2)
            throw new IllegalArgumentException(
                    "sequence length must be at least 2, got " + maxLength);
        this.tokenizer =
                HuggingFaceTokenizer.newInstance(
                        tokenizerJson,
                        Map.of(
                                "truncation",
                                "true",
                                "maxLength",
                                Integer.toString(maxLength),
                                "padding",
                                "false",
                                "withOverflowingTokens",
                                "true",
                                "addSpecialTokens",
                                "true"));
    }

    /** Windows covering the whole document, offsets counted in chars of {@code document}. */
    public List<TokenSequence> windows(String document) {
        List<TokenSequence> out = new ArrayList<>();
        if (document.isBlank()) return out;
        Encoding first = tokenizer.encode(document);
        add(first, out);
        for (Encoding overflow : first.getOverflowing()) add(overflow, out);
        return out;
    }

    private void add(Encoding e, List<TokenSequence> out) {
        long[] ids = e.getIds();
        if (ids.length == 0) return;
        long[] special = e.getSpecialTokenMask();
        CharSpan[] spans = e.getCharTokenSpans();
        int[] starts = new int[ids.length];
        int[] ends = new int[ids.length];
        boolean[] text = new boolean[ids.length];
        for (int i = 0; i < ids.length; i++) {
            CharSpan span = spans[i];
            text[i] = special[i] == 0 && span != null;
            starts[i] = span != null ? span.getStart() : -1;
            ends[i] = span != null ? span.getEnd() : -1;
        }
        out.add(new TokenSequence(ids, e.getTypeIds(), starts, ends, text));
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
