package dev.aenstream.sae.eval;

import dev.aenstream.sae.SaeParameters;

/**
 * Synthetic evaluation: matches learned atoms (decoder columns) one-to-one to the true atoms by
 * |cos| (Hungarian assignment), and scores the codes' supports against the true ones.
 *
 * @param trueToLearned for each true atom, the learned feature matched to it (-1 when D < atoms
 *     left it unmatched)
 * @param dictCos mean |cos| over the min(atoms, D) matched pairs
 */
public record DictionaryMatch(int[] trueToLearned, double dictCos) {
    /** Threshold above which a code counts as active for support metrics. */
    public static final double SUPPORT_THRESHOLD = 1e-6;

    /**
     * Matches the SAE's decoder columns to {@code atoms} true atoms of width n (atom a at [a n,
     * (a+1) n)). With fewer learned features than true atoms, every learned feature gets a distinct
     * true atom instead.
     */
    public static DictionaryMatch of(SaeParameters sae, float[] trueAtoms, int atoms) {
        int n = sae.n();
        int d = sae.d();
        double[] norms = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                norms[j] += (double) sae.wDec()[i * d + j] * sae.wDec()[i * d + j];
        double[] cost = new double[atoms * d];
        double[] cos = new double[atoms * d];
        for (int a = 0; a < atoms; a++) {
            double trueNorm = 0;
            for (int i = 0; i < n; i++)
                trueNorm += (double) trueAtoms[a * n + i] * trueAtoms[a * n + i];
            for (int i = 0; i < n; i++) {
                double t = trueAtoms[a * n + i];
                int row = i * d;
                for (int j = 0; j < d; j++) cos[a * d + j] += t * sae.wDec()[row + j];
            }
            for (int j = 0; j < d; j++) {
                double c =
                        Math.abs(cos[a * d + j]) / Math.sqrt(Math.max(trueNorm * norms[j], 1e-24));
                cos[a * d + j] = c;
                cost[a * d + j] = -c;
            }
        }
        int[] trueToLearned = new int[atoms];
        java.util.Arrays.fill(trueToLearned, -1);
        if (d >= atoms) {
            int[] match = Hungarian.assign(cost, atoms, d);
            System.arraycopy(match, 0, trueToLearned, 0, atoms);
        } else {
            double[] transposed = new double[d * atoms];
            for (int a = 0; a < atoms; a++)
                for (int j = 0; j < d; j++) transposed[j * atoms + a] = cost[a * d + j];
            int[] learnedToTrue = Hungarian.assign(transposed, d, atoms);
            for (int j = 0; j < d; j++) trueToLearned[learnedToTrue[j]] = j;
        }
        double sum = 0;
        int pairs = 0;
        for (int a = 0; a < atoms; a++) {
            if (trueToLearned[a] < 0) continue;
            sum += cos[a * d + trueToLearned[a]];
            pairs++;
        }
        return new DictionaryMatch(trueToLearned, sum / pairs);
    }

    /** Support precision, recall and F1 of codes against the true supports. */
    public record Support(double precision, double recall, double f1) {}

    /**
     * Scores codes ({@code rows} x D, dense) against the true supports ({@code rows} x k true atom
     * ids): a code entry above {@link #SUPPORT_THRESHOLD} is a true positive when its feature is
     * matched to one of the row's true atoms.
     */
    public Support support(float[] codes, int rows, int d, int[] trueSupport, int k) {
        int[] learnedToTrue = new int[d];
        java.util.Arrays.fill(learnedToTrue, -1);
        for (int a = 0; a < trueToLearned.length; a++)
            if (trueToLearned[a] >= 0) learnedToTrue[trueToLearned[a]] = a;
        long predicted = 0;
        long truePositive = 0;
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < d; j++) {
                if (codes[r * d + j] <= SUPPORT_THRESHOLD) continue;
                predicted++;
                int atom = learnedToTrue[j];
                if (atom < 0) continue;
                for (int s = 0; s < k; s++) {
                    if (trueSupport[r * k + s] == atom) {
                        truePositive++;
                        break;
                    }
                }
            }
        }
        double precision = predicted == 0 ? 0 : (double) truePositive / predicted;
        double recall = (double) truePositive / ((long) rows * k);
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return new Support(precision, recall, f1);
    }
}
