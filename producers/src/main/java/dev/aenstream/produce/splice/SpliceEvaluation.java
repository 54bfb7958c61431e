package dev.aenstream.produce.splice;

import ai.onnxruntime.OrtException;
import dev.aenstream.produce.transformer.TokenSequence;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates an SAE spliced into a model, batch by batch: the clean pass, the SAE's reconstruction
 * in place of the hooked tensor on every text token (special tokens and padding keep their own
 * values, as SAELens keeps its ignored tokens), and zeros in its place on the same tokens (the
 * ablation baseline; SAELens zeroes its ignored tokens too, which makes a BOS-dependent model's
 * ablation worse than the SAE could ever be, and its scores look better); then the figures of
 * {@link LossFigures} and {@link ReconstructionFigures}.
 */
public final class SpliceEvaluation {
    private final SplicedModel model;
    private final SaeSplice sae;
    private final LossFigures loss;
    private final ReconstructionFigures reconstruction;
    private long sequences;

    public SpliceEvaluation(SplicedModel model, SaeSplice sae) {
        this.model = model;
        this.sae = sae;
        this.loss = new LossFigures(model.head());
        this.reconstruction = new ReconstructionFigures(sae.n(), sae.d());
    }

    /** Runs one batch of sequences three ways and adds its figures. */
    public void add(List<TokenSequence> batch) throws OrtException {
        add(batch, model.clean(batch));
    }

    /** As {@link #add(List)}, with the clean pass already run (shared by several SAEs). */
    public void add(List<TokenSequence> batch, SplicedModel.Pass clean) throws OrtException {
        int n = clean.width();
        if (n != sae.n())
            throw new IllegalArgumentException(
                    "the SAE reads rows of n="
                            + sae.n()
                            + " but hook '"
                            + model.hook()
                            + "' has width "
                            + n);
        int rows = batch.stream().mapToInt(TokenSequence::textTokens).sum();
        float[] x = new float[rows * n];
        int r = 0;
        for (int b = 0; b < batch.size(); b++) {
            TokenSequence s = batch.get(b);
            for (int t = 0; t < s.length(); t++)
                if (s.text()[t])
                    System.arraycopy(clean.hook(), (b * clean.seq() + t) * n, x, r++ * n, n);
        }
        SaeSplice.Reconstruction rec = sae.apply(x, rows);
        float[] replaced = clean.hook().clone();
        float[] zeroed = clean.hook().clone();
        r = 0;
        for (int b = 0; b < batch.size(); b++) {
            TokenSequence s = batch.get(b);
            for (int t = 0; t < s.length(); t++) {
                if (!s.text()[t]) continue;
                int at = (b * clean.seq() + t) * n;
                System.arraycopy(rec.xhat(), r++ * n, replaced, at, n);
                java.util.Arrays.fill(zeroed, at, at + n, 0f);
            }
        }
        float[] withSae = model.spliced(batch, replaced, n);
        float[] ablated = model.spliced(batch, zeroed, n);
        loss.add(batch, clean, withSae, ablated);
        reconstruction.add(x, rec.xhat(), rec.codes(), rows);
        sequences += batch.size();
    }

    /** Sequences evaluated so far. */
    public long sequences() {
        return sequences;
    }

    /** Text tokens evaluated so far. */
    public long tokens() {
        return reconstruction.tokens();
    }

    /** What the model's output is. */
    public SplicedModel.Head head() {
        return model.head();
    }

    /** Every figure: the model's loss first, then the reconstruction's. */
    public Map<String, Double> figures() {
        Map<String, Double> f = new LinkedHashMap<>(loss.figures());
        f.putAll(reconstruction.figures());
        return f;
    }

    /** Each feature's share of the evaluated tokens it fired on. */
    public double[] featureDensity() {
        return reconstruction.featureDensity();
    }
}
