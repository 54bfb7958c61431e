package dev.aenstream.sae.penalty;

import dev.aenstream.sae.setting.SettingValues;
import java.util.Arrays;

/**
 * The L1 family's part of the sparse step: ReLU codes, lambda1 * sum_j wt_j |h_j| + lambda2 * sum_j
 * h_j^2 per row averaged over the batch, with the adaptive weights of docs/aen-sae.md (this batch's
 * mean |h| enters the EMA before the weights are taken from it; no gradient flows through them).
 */
final class PenalisedSparseTerms implements SparseTerms {
    private final Penalised penalty;
    private final int d;
    private final float[] ema;
    private final float[] emaNew;
    private final float[] w;
    private final float[] wt;
    private final float[] sorted;
    private double l1PerFeature;
    private double l2PerCode;
    private final DeadFeatureProxy proxy;

    PenalisedSparseTerms(Penalised penalty, int d, DeadFeatureProxy proxy) {
        this.penalty = penalty;
        this.d = d;
        this.proxy = proxy;
        this.ema = new float[d];
        this.emaNew = new float[d];
        this.w = new float[d];
        this.wt = new float[d];
        this.sorted = new float[d];
    }

    @Override
    public int k() {
        return 0;
    }

    @Override
    public double[] loss(
            SettingValues s, double[] colSumH, double sumSquaresH, int rows, double phi) {
        double beta = s.get(AdaptiveWeights.BETA);
        for (int j = 0; j < d; j++)
            emaNew[j] = (float) (beta * ema[j] + (1 - beta) * colSumH[j] / rows);
        int count = AdaptiveWeights.referenceCount(s, d);
        System.arraycopy(emaNew, 0, sorted, 0, d);
        Arrays.sort(sorted);
        double reference = 0;
        for (int i = d - count; i < d; i++) reference += sorted[i];
        reference /= count;
        double gamma = s.get(AdaptiveWeights.GAMMA);
        double wMin = s.get(AdaptiveWeights.W_MIN);
        double wMax = s.get(AdaptiveWeights.W_MAX);
        double lambda1 = s.get(Penalised.LAMBDA1);
        double lambda2 = penalty.lambda2(s);
        double l1 = 0;
        for (int j = 0; j < d; j++) {
            double ratio = reference / Math.max(emaNew[j], AdaptiveWeights.EMA_FLOOR);
            w[j] = (float) Math.min(Math.max(Math.pow(ratio, gamma), wMin), wMax);
            wt[j] = (float) (1 + (w[j] - 1) * phi);
            l1 += colSumH[j] * wt[j];
        }
        l1PerFeature = lambda1 / rows;
        l2PerCode = 2 * lambda2 / rows;
        return new double[] {lambda1 * l1 / rows, lambda2 * sumSquaresH / rows};
    }

    @Override
    public double dH(int j, float h) {
        return l1PerFeature * wt[j] + l2PerCode * h;
    }

    @Override
    public float[] weights() {
        return w;
    }

    @Override
    public float[] ema() {
        return ema;
    }

    @Override
    public void load(float[] from) {
        System.arraycopy(from, 0, ema, 0, d);
    }

    @Override
    public void applied() {
        System.arraycopy(emaNew, 0, ema, 0, d);
    }

    @Override
    public DeadFeatureProxy deadFeatureProxy() {
        return proxy;
    }
}
