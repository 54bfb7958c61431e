package dev.aenstream.sae.penalty;

import dev.aenstream.sae.setting.SettingValues;

/** Adaptive lasso: lambda1 * sum_j wt_j |h_j|, the adaptive weights without the L2 term. */
public final class AdaptiveLasso extends Penalised {
    AdaptiveLasso() {
        super("alasso", "adaptive lasso", AdaptiveWeights.SETTINGS);
    }

    @Override
    public double phi(SettingValues s, long t) {
        return AdaptiveWeights.phi(s, t);
    }
}
