package dev.aenstream.experiment;

import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.train.TrainConfig;

/**
 * Says so when an adaptive run ends before its weights reach full strength: with phi below 1 at the
 * end, "aen" has trained partly as a plain elastic net and "alasso" as plain L1.
 */
public final class PhiWarning {
    private PhiWarning() {}

    /** Before a run of {@code steps} steps: warns when they end before phi reaches 1. */
    public static void check(TrainConfig config, long steps) {
        if (!config.has(AdaptiveWeights.T_RAMP) || config.phi(steps) >= 1) return;
        System.out.printf(
                "warning: %,d steps end before the adaptive weights reach full strength at step"
                        + " %,d (T_warm %,d + T_ramp %,d); phi will end at %.2f, so %s trains"
                        + " %s. Give --steps above %,d or a shorter --warmup.%n",
                steps,
                config.get(AdaptiveWeights.T_WARM) + config.get(AdaptiveWeights.T_RAMP),
                config.get(AdaptiveWeights.T_WARM),
                config.get(AdaptiveWeights.T_RAMP),
                config.phi(steps),
                config.penalty().label(),
                config.phi(steps) == 0
                        ? "as its non-adaptive baseline throughout"
                        : "with partly adaptive weights",
                config.get(AdaptiveWeights.T_WARM) + config.get(AdaptiveWeights.T_RAMP));
    }

    /** After a run: repeats the warning beside the final figures. */
    public static void atEnd(TrainConfig config, long stepsDone) {
        if (!config.has(AdaptiveWeights.T_RAMP) || config.phi(stepsDone) >= 1) return;
        System.out.printf(
                "warning: the run ended at phi %.2f: the adaptive weights never acted at full"
                        + " strength%n",
                config.phi(stepsDone));
    }
}
