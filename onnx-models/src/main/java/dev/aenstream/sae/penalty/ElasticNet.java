package dev.aenstream.sae.penalty;

import static dev.aenstream.sae.setting.Setting.Defaults.always;

import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.Setting.Rule;
import dev.aenstream.sae.setting.SettingValues;
import java.util.List;

/** Elastic net: lambda1 * sum_j |h_j| + lambda2 * sum_j h_j^2, with wt = 1. */
public final class ElasticNet extends Penalised {
    public static final Setting<Double> LAMBDA2 =
            Setting.real(
                    "lambda2",
                    "lambda2",
                    "L2",
                    always(1e-4),
                    Rule.nonNegative(),
                    "Weight of the L2 term (elastic, aen)");

    ElasticNet() {
        super("elastic", "elastic net", List.of(LAMBDA2));
    }

    @Override
    double lambda2(SettingValues s) {
        return s.get(LAMBDA2);
    }
}
