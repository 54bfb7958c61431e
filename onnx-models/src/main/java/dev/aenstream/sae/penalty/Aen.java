package dev.aenstream.sae.penalty;

import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.SettingValues;
import java.util.ArrayList;
import java.util.List;

/**
 * The adaptive elastic net of AEN-SAE: lambda1 * sum_j wt_j |h_j| + lambda2 * sum_j h_j^2, the
 * adaptive weights ramped in after warm-up, so starving features are pushed less.
 */
public final class Aen extends Penalised {
    Aen() {
        super("aen", "adaptive elastic net", own());
    }

    private static List<Setting<?>> own() {
        List<Setting<?>> s = new ArrayList<>();
        s.add(ElasticNet.LAMBDA2);
        s.addAll(AdaptiveWeights.SETTINGS);
        return s;
    }

    @Override
    double lambda2(SettingValues s) {
        return s.get(ElasticNet.LAMBDA2);
    }

    @Override
    public double phi(SettingValues s, long t) {
        return AdaptiveWeights.phi(s, t);
    }
}
