package dev.aenstream.produce.transformer;

import dev.aenstream.produce.text.Document;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * How text becomes the token sequences a model reads: each document, or each non-blank line of each
 * document, tokenised with the model's special tokens and cut into windows of at most the
 * tokeniser's length (a longer text continues in the next window, so nothing is dropped).
 */
public final class Sequences implements Iterator<TokenSequence> {
    /** What one tokenised text is. */
    public enum Mode {
        /** A whole document (a file, a speech of the bundled corpus, a line of stdin). */
        DOCUMENTS,
        /** One line: a text anyone can cut the same way, to reproduce a figure exactly. */
        LINES
    }

    private final Iterator<Document> documents;
    private final Tokeniser tokeniser;
    private final Mode mode;
    private final Deque<String> texts = new ArrayDeque<>();
    private final Deque<TokenSequence> ready = new ArrayDeque<>();

    public Sequences(Iterator<Document> documents, Tokeniser tokeniser, Mode mode) {
        this.documents = documents;
        this.tokeniser = tokeniser;
        this.mode = mode;
    }

    @Override
    public boolean hasNext() {
        while (ready.isEmpty()) {
            if (texts.isEmpty()) {
                if (!documents.hasNext()) return false;
                String text = documents.next().text();
                if (mode == Mode.DOCUMENTS) texts.add(text);
                else text.lines().filter(l -> !l.isBlank()).forEach(texts::add);
                continue;
            }
            ready.addAll(tokeniser.windows(texts.poll()));
        }
        return true;
    }

    @Override
    public TokenSequence next() {
        if (!hasNext()) throw new NoSuchElementException();
        return ready.poll();
    }
}
