package dev.aenstream.experiment;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.aenstream.avro.Matrices;
import dev.aenstream.produce.transformer.TokenSequence;
import dev.aenstream.produce.transformer.TransformerModel;
import dev.aenstream.sae.runtime.Device;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A language model's activations at one hook over a text, one row per text token: the rows every
 * architecture of {@link TextExperiment} trains on, and every {@link #HOLD_OUT_EVERY}-th sequence
 * kept apart, as rows and as sequences, to evaluate and splice on.
 *
 * @param train training rows, {@code trainRows x n}
 * @param trainRows rows in {@code train}
 * @param heldOut held-out rows, {@code heldOutRows x n}
 * @param heldOutRows rows in {@code heldOut}
 * @param heldOutSequences the held-out sequences, for splicing
 * @param n the hook's width
 * @param normalised whether rows were rescaled to L2 norm sqrt(n)
 */
public record TextActivations(
        float[] train,
        int trainRows,
        float[] heldOut,
        int heldOutRows,
        List<TokenSequence> heldOutSequences,
        int n,
        boolean normalised) {
    /** One sequence in this many is held out: the split does not depend on where the text ends. */
    static final int HOLD_OUT_EVERY = 10;

    private static final long PROGRESS_EVERY_NS = 10_000_000_000L;

    /**
     * Runs the model over {@code sequences}, {@code batch} at a time, until {@code trainTokens}
     * training rows and {@code heldOutTokens} held-out rows are in or the text ends.
     */
    public static TextActivations collect(
            ModelProto model,
            String hook,
            Iterator<TokenSequence> sequences,
            int batch,
            int trainTokens,
            int heldOutTokens,
            boolean normalise,
            Device device,
            int threads,
            PrintStream progress)
            throws Exception {
        Rows train = new Rows(trainTokens);
        Rows held = new Rows(heldOutTokens);
        List<TokenSequence> heldOutSequences = new ArrayList<>();
        long printed = System.nanoTime();
        try (TransformerModel lm = TransformerModel.open(model, List.of(hook), device, threads)) {
            int n = lm.width();
            train.width(n);
            held.width(n);
            List<TokenSequence> pendingTrain = new ArrayList<>(batch);
            List<TokenSequence> pendingHeld = new ArrayList<>(batch);
            long index = 0;
            while (sequences.hasNext() && !(train.full() && held.full())) {
                TokenSequence s = sequences.next();
                boolean holdOut = index++ % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1;
                if (holdOut && !held.full()) {
                    pendingHeld.add(s);
                    heldOutSequences.add(s);
                    held.promised += s.textTokens();
                } else if (!holdOut && !train.full()) {
                    pendingTrain.add(s);
                    train.promised += s.textTokens();
                }
                if (pendingTrain.size() == batch) run(lm, hook, pendingTrain, train);
                if (pendingHeld.size() == batch) run(lm, hook, pendingHeld, held);
                if (System.nanoTime() - printed > PROGRESS_EVERY_NS) {
                    printed = System.nanoTime();
                    progress.printf(
                            "activations: %,d of %,d training rows, %,d of %,d held out%n",
                            train.count, trainTokens, held.count, heldOutTokens);
                }
            }
            run(lm, hook, pendingTrain, train);
            run(lm, hook, pendingHeld, held);
            if (train.count == 0 || held.count == 0)
                throw new IllegalArgumentException(
                        "the text gave "
                                + train.count
                                + " training and "
                                + held.count
                                + " held-out rows: it needs at least "
                                + HOLD_OUT_EVERY
                                + " sequences");
            if (normalise) {
                Matrices.normaliseRows(train.values, 0, train.count, n);
                Matrices.normaliseRows(held.values, 0, held.count, n);
            }
            return new TextActivations(
                    train.values,
                    train.count,
                    held.values,
                    held.count,
                    List.copyOf(heldOutSequences),
                    n,
                    normalise);
        }
    }

    /** Runs {@code pending} and keeps the rows of its text tokens, up to the limit. */
    private static void run(
            TransformerModel lm, String hook, List<TokenSequence> pending, Rows into)
            throws Exception {
        if (pending.isEmpty()) return;
        Map<String, TransformerModel.Activations> out = lm.run(pending);
        TransformerModel.Activations a = out.get(hook);
        for (int b = 0; b < pending.size(); b++) {
            boolean[] text = pending.get(b).text();
            for (int t = 0; t < text.length && into.count < into.limit; t++)
                if (text[t]) into.add(a.values(), ((long) b * a.seq() + t) * a.width());
        }
        pending.clear();
    }

    /** Rows gathered so far, up to a limit. */
    private static final class Rows {
        final int limit;
        int n;
        float[] values = new float[0];
        int count;
        long promised;

        Rows(int limit) {
            this.limit = limit;
        }

        void width(int n) {
            this.n = n;
        }

        /** Whether the sequences taken already hold enough rows. */
        boolean full() {
            return promised >= limit;
        }

        void add(float[] from, long at) {
            for (int i = 0; i < n; i++)
                if (!Float.isFinite(from[(int) at + i]))
                    throw new IllegalArgumentException(
                            "the model's hook gave a non-finite activation: it cannot train an"
                                    + " SAE");
            if ((long) (count + 1) * n > values.length)
                values =
                        Arrays.copyOf(
                                values,
                                (int)
                                        Math.min(
                                                (long) limit * n,
                                                Math.max(n, 2L * values.length + n)));
            System.arraycopy(from, (int) at, values, count * n, n);
            count++;
        }
    }
}
