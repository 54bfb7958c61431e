package dev.aenstream.produce.transformer;

import ai.onnxruntime.OrtException;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.RowText;
import dev.aenstream.produce.text.Document;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Runs text through a hooked model and publishes one activation row per text token, with its token
 * id, character offsets and document; special tokens and padding are left out.
 */
public final class TransformerProducer {
    private final TransformerModel model;
    private final String hook;
    private final Tokeniser tokeniser;
    private final ActivationPublisher publisher;
    private final int batchSize;
    private final Pace pace;
    private volatile long documents;
    private volatile long tokens;
    private volatile int width;
    private volatile Document current;

    /** Sees each batch after it was published (the live splice samples some of them). */
    @FunctionalInterface
    public interface BatchObserver {
        void ran(List<TokenSequence> batch) throws OrtException;
    }

    private BatchObserver observer = batch -> {};

    /**
     * Holds a producer to a rate: called with the tokens published so far, it sleeps while ahead.
     */
    @FunctionalInterface
    public interface Pace {
        void await(long tokensSoFar) throws InterruptedException;
    }

    public TransformerProducer(
            TransformerModel model,
            String hook,
            Tokeniser tokeniser,
            ActivationPublisher publisher,
            int batchSize,
            Pace pace) {
        if (batchSize <= 0)
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        if (!model.hooks().contains(hook))
            throw new IllegalArgumentException("the model does not expose hook " + hook);
        this.model = model;
        this.hook = hook;
        this.tokeniser = tokeniser;
        this.publisher = publisher;
        this.batchSize = batchSize;
        this.pace = pace;
    }

    /** Shows every batch to {@code observer} once it is published; returns this producer. */
    public TransformerProducer observedBy(BatchObserver observer) {
        this.observer = observer;
        return this;
    }

    /** Width of the hooked tensor (d_model), known after the first batch. */
    public int width() {
        return width;
    }

    /** The document being read now, or null before the first. */
    public Document currentDocument() {
        return current;
    }

    /** Documents read so far. */
    public long documents() {
        return documents;
    }

    /** Text tokens published so far. */
    public long tokens() {
        return tokens;
    }

    /**
     * Publishes every document until the source ends or {@code stop} says so; returns the tokens
     * published.
     */
    public long run(Iterator<Document> source, BooleanSupplier stop)
            throws OrtException, InterruptedException {
        List<TokenSequence> pending = new ArrayList<>(batchSize);
        List<Document> from = new ArrayList<>(batchSize);
        while (!stop.getAsBoolean() && source.hasNext()) {
            Document doc = source.next();
            current = doc;
            documents++;
            for (TokenSequence window : tokeniser.windows(doc.text())) {
                pending.add(window);
                from.add(doc);
                if (pending.size() == batchSize) {
                    publish(pending, from);
                    pending.clear();
                    from.clear();
                    if (stop.getAsBoolean()) break;
                }
            }
        }
        if (!pending.isEmpty()) publish(pending, from);
        publisher.flush();
        return tokens;
    }

    /** Publishes the text tokens of {@code batch}, whose window i was cut from {@code from[i]}. */
    private void publish(List<TokenSequence> batch, List<Document> from)
            throws OrtException, InterruptedException {
        TransformerModel.Activations acts = model.run(batch).get(hook);
        int width = acts.width();
        this.width = width;
        int rows = batch.stream().mapToInt(TokenSequence::textTokens).sum();
        if (rows == 0) return;
        float[] x = new float[rows * width];
        int[] ids = new int[rows];
        int[] offsets = new int[2 * rows];
        int[] rowDocuments = new int[rows];
        List<Document> docs = new ArrayList<>();
        int r = 0;
        for (int b = 0; b < batch.size(); b++) {
            TokenSequence s = batch.get(b);
            if (docs.isEmpty() || docs.get(docs.size() - 1) != from.get(b)) docs.add(from.get(b));
            for (int t = 0; t < s.length(); t++) {
                if (!s.text()[t]) continue;
                System.arraycopy(acts.values(), (b * acts.seq() + t) * width, x, r * width, width);
                ids[r] = (int) s.ids()[t];
                offsets[2 * r] = s.starts()[t];
                offsets[2 * r + 1] = s.ends()[t];
                rowDocuments[r] = docs.size() - 1;
                r++;
            }
        }
        publisher.publish(x, rows, width, new RowText(ids, offsets, rowDocuments, docs));
        tokens += rows;
        observer.ran(batch);
        pace.await(tokens);
    }
}
