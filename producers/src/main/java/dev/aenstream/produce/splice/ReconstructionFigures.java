package dev.aenstream.produce.splice;

import dev.aenstream.sae.SparseCodes;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How well an SAE reconstructs the hooked rows, accumulated over an evaluation, under SAELens's
 * names: norms and their ratio, relative reconstruction bias, explained variance, fve, mse, cosine
 * similarity, L0, L1 and each feature's density. docs/evaluation.md gives each definition and where
 * it departs from SAELens.
 */
public final class ReconstructionFigures {
    /** Below this input norm a row's l2_ratio divides by 1, as SAELens does. */
    private static final double TINY_NORM = 1e-4;

    private final int n;
    private final long[] fires;
    private long tokens;
    private double normIn;
    private double normOut;
    private double ratio;
    private double xhatSquares;
    private double dot;
    private double residualSquares;
    private double cosine;
    private double inputSquares;
    private double l0;
    private double l1;
    private final double[] inputSum;
    private final double[] residualSum;
    private final double[] residualSquaresPerDim;
    private final double[] inputSquaresPerDim;

    public ReconstructionFigures(int n, int d) {
        this.n = n;
        this.fires = new long[d];
        this.inputSum = new double[n];
        this.residualSum = new double[n];
        this.residualSquaresPerDim = new double[n];
        this.inputSquaresPerDim = new double[n];
    }

    /** Adds {@code rows} rows of inputs {@code x}, their reconstructions and their codes. */
    public void add(float[] x, float[] xhat, SparseCodes codes, int rows) {
        for (int r = 0; r < rows; r++) {
            double in = 0;
            double out = 0;
            double xy = 0;
            double res = 0;
            for (int i = 0; i < n; i++) {
                double a = x[r * n + i];
                double b = xhat[r * n + i];
                in += a * a;
                out += b * b;
                xy += a * b;
                res += (a - b) * (a - b);
                inputSum[i] += a;
                inputSquaresPerDim[i] += a * a;
                residualSum[i] += a - b;
                residualSquaresPerDim[i] += (a - b) * (a - b);
            }
            double inNorm = Math.sqrt(in);
            double outNorm = Math.sqrt(out);
            normIn += inNorm;
            normOut += outNorm;
            ratio += outNorm / (inNorm < TINY_NORM ? 1 : inNorm);
            xhatSquares += out;
            dot += xy;
            residualSquares += res;
            inputSquares += in;
            cosine += inNorm == 0 || outNorm == 0 ? 0 : xy / (inNorm * outNorm);
            for (int e = codes.rowOffsets()[r]; e < codes.rowOffsets()[r + 1]; e++) {
                float v = codes.values()[e];
                if (v > 0) {
                    l0++;
                    fires[codes.indices()[e]]++;
                }
                l1 += v;
            }
        }
        tokens += rows;
    }

    /** Rows added so far. */
    public long tokens() {
        return tokens;
    }

    /** The figures, by SAELens's names where it has one. */
    public Map<String, Double> figures() {
        Map<String, Double> f = new LinkedHashMap<>();
        double t = tokens;
        double totalVariance = inputSquares;
        double inputVariance = 0;
        double residualVariance = 0;
        for (int i = 0; i < n; i++) {
            totalVariance -= inputSum[i] * inputSum[i] / t;
            inputVariance += inputSquaresPerDim[i] - inputSum[i] * inputSum[i] / t;
            residualVariance += residualSquaresPerDim[i] - residualSum[i] * residualSum[i] / t;
        }
        f.put("explained_variance", 1 - residualSquares / totalVariance);
        f.put("fve", 1 - residualVariance / inputVariance);
        f.put("mse", residualSquares / t);
        f.put("cossim", cosine / t);
        f.put("l2_norm_in", normIn / t);
        f.put("l2_norm_out", normOut / t);
        f.put("l2_ratio", ratio / t);
        f.put("relative_reconstruction_bias", xhatSquares / dot);
        f.put("l0", l0 / t);
        f.put("l1", l1 / t);
        long never = 0;
        for (long c : fires) if (c == 0) never++;
        f.put("features_never_fired", (double) never);
        return f;
    }

    /** Each feature's share of rows it fired on. */
    public double[] featureDensity() {
        double[] density = new double[fires.length];
        for (int j = 0; j < fires.length; j++)
            density[j] = tokens == 0 ? 0 : fires[j] / (double) tokens;
        return density;
    }
}
