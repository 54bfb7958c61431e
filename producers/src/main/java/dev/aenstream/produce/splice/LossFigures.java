package dev.aenstream.produce.splice;

import dev.aenstream.produce.transformer.TokenSequence;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the model loses with the SAE spliced in, against the zero ablation, accumulated over an
 * evaluation. For a language model SAELens's figures: per-token cross-entropy of the next token and
 * KL divergence from the clean next-token distribution, and their scores; for an embedding model,
 * the cosine distance of the mean-pooled embedding to the clean one, and its score.
 */
public final class LossFigures {
    private final SplicedModel.Head head;
    private long klPositions;
    private long cePositions;
    private long sequences;
    private final double[] ce = new double[3];
    private final double[] kl = new double[3];
    private final double[] distance = new double[3];

    public LossFigures(SplicedModel.Head head) {
        this.head = head;
    }

    /**
     * Adds a batch: the clean pass, and the outputs with the SAE's reconstruction and with zeros in
     * the hook's place. Only positions whose token is text count (not special tokens, not padding),
     * as SAELens leaves out its ignored tokens.
     */
    public void add(
            List<TokenSequence> batch, SplicedModel.Pass clean, float[] withSae, float[] ablated) {
        float[][] outputs = {clean.head(), withSae, ablated};
        for (int b = 0; b < batch.size(); b++) {
            TokenSequence s = batch.get(b);
            if (head == SplicedModel.Head.LOGITS) addLogits(s, b, clean, outputs);
            else addEmbedding(s, b, clean, outputs);
        }
    }

    private void addLogits(TokenSequence s, int b, SplicedModel.Pass clean, float[][] outputs) {
        int v = clean.headWidth();
        double[] lse = new double[3];
        for (int t = 0; t < s.length(); t++) {
            if (!s.text()[t]) continue;
            int base = (b * clean.seq() + t) * v;
            for (int k = 0; k < 3; k++) lse[k] = logSumExp(outputs[k], base, v);
            for (int k = 1; k < 3; k++) {
                double sum = 0;
                for (int i = 0; i < v; i++) {
                    double logP = outputs[0][base + i] - lse[0];
                    sum += Math.exp(logP) * (logP - (outputs[k][base + i] - lse[k]));
                }
                kl[k] += sum;
            }
            klPositions++;
            if (t + 1 < s.length()) {
                int next = (int) s.ids()[t + 1];
                for (int k = 0; k < 3; k++) ce[k] += lse[k] - outputs[k][base + next];
                cePositions++;
            }
        }
    }

    private void addEmbedding(TokenSequence s, int b, SplicedModel.Pass clean, float[][] outputs) {
        int w = clean.headWidth();
        double[][] pooled = new double[3][w];
        // Mean pooling over every token the attention mask keeps, as sentence-transformers pools.
        for (int t = 0; t < s.length(); t++) {
            int base = (b * clean.seq() + t) * w;
            for (int k = 0; k < 3; k++)
                for (int i = 0; i < w; i++) pooled[k][i] += outputs[k][base + i];
        }
        for (int k = 1; k < 3; k++) distance[k] += 1 - cosine(pooled[0], pooled[k]);
        sequences++;
    }

    private static double logSumExp(float[] values, int from, int count) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) max = Math.max(max, values[from + i]);
        double sum = 0;
        for (int i = 0; i < count; i++) sum += Math.exp(values[from + i] - max);
        return max + Math.log(sum);
    }

    private static double cosine(double[] a, double[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return aa == 0 || bb == 0 ? 0 : ab / Math.sqrt(aa * bb);
    }

    /** The figures, by SAELens's names for a language model, by ours for an embedding model. */
    public Map<String, Double> figures() {
        Map<String, Double> f = new LinkedHashMap<>();
        if (head == SplicedModel.Head.LOGITS) {
            double clean = ce[0] / cePositions;
            double withSae = ce[1] / cePositions;
            double ablation = ce[2] / cePositions;
            f.put("ce_loss_score", (ablation - withSae) / (ablation - clean));
            f.put("ce_loss_without_sae", clean);
            f.put("ce_loss_with_sae", withSae);
            f.put("ce_loss_with_ablation", ablation);
            double klSae = kl[1] / klPositions;
            double klAblation = kl[2] / klPositions;
            f.put("kl_div_score", (klAblation - klSae) / klAblation);
            f.put("kl_div_with_sae", klSae);
            f.put("kl_div_with_ablation", klAblation);
        } else {
            double withSae = distance[1] / sequences;
            double ablation = distance[2] / sequences;
            f.put("embedding_score", (ablation - withSae) / ablation);
            f.put("embedding_cos_dist_with_sae", withSae);
            f.put("embedding_cos_dist_with_ablation", ablation);
        }
        return f;
    }
}
