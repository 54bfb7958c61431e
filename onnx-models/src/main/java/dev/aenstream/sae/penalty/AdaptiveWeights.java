package dev.aenstream.sae.penalty;

import static dev.aenstream.sae.setting.Setting.Defaults.always;
import static dev.aenstream.sae.setting.Setting.Defaults.per;

import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.Setting.Rule;
import dev.aenstream.sae.setting.SettingValues;
import java.util.List;

/**
 * The adaptive weights of docs/aen-sae.md: w_j = clip((r / max(m_j, 1e-5))^gamma, w_min, w_max)
 * from the EMA m_j of mean |h_j| and the reference r (the mean of the largest p * D of them),
 * ramped in as wt_j = 1 + phi(t) (w_j - 1). Their settings, and the ramp phi.
 */
public final class AdaptiveWeights {
    public static final Setting<Double> GAMMA =
            Setting.real(
                    "gamma",
                    "gamma",
                    "GAMMA",
                    always(0.5),
                    Rule.nonNegative(),
                    "Exponent of the adaptive weights");
    public static final Setting<Double> BETA =
            Setting.real(
                    "beta",
                    "beta",
                    "BETA",
                    per(0.999, 0.9999),
                    Rule.decay(),
                    "EMA decay of mean |h_j|");
    public static final Setting<Double> P =
            Setting.real(
                    "p",
                    "p",
                    "P",
                    always(0.05),
                    Rule.share(),
                    "Share of the largest EMAs that make the reference r");
    public static final Setting<Double> W_MIN =
            Setting.real(
                    "wMin",
                    "w-min",
                    "W",
                    always(0.01),
                    new Rule<>("in (0, 1]", v -> v > 0 && v <= 1),
                    "Lower clip of the adaptive weights");
    public static final Setting<Double> W_MAX =
            Setting.real(
                    "wMax",
                    "w-max",
                    "W",
                    always(10.0),
                    new Rule<>(">= 1", v -> v >= 1),
                    "Upper clip of the adaptive weights");
    public static final Setting<Long> T_WARM =
            Setting.whole(
                    "tWarm",
                    "warmup",
                    "STEPS",
                    per(10_000L, 4_000L),
                    Rule.nonNegative(),
                    "T_warm: steps of plain elastic net before the ramp");
    public static final Setting<Long> T_RAMP =
            Setting.whole(
                    "tRamp",
                    "ramp",
                    "STEPS",
                    always(2_000L),
                    Rule.nonNegative(),
                    "T_ramp: steps over which the adaptive weights ramp in");

    /** The settings of the weights and their ramp. */
    public static final List<Setting<?>> SETTINGS =
            List.of(GAMMA, BETA, P, W_MIN, W_MAX, T_WARM, T_RAMP);

    /** docs/aen-sae.md's floor on m_j in w_j = (r / max(m_j, 1e-5))^gamma. */
    public static final double EMA_FLOOR = 1e-5;

    private AdaptiveWeights() {}

    /** phi(t): 0 while t < T_warm, then min(1, (t - T_warm) / T_ramp). */
    static double phi(SettingValues s, long t) {
        long warm = s.get(T_WARM);
        long ramp = s.get(T_RAMP);
        if (t < warm) return 0;
        if (ramp == 0) return 1;
        return Math.min(1, (double) (t - warm) / ramp);
    }

    /** How many features make the reference r: max(1, floor(p * D)). */
    public static int referenceCount(SettingValues s, int d) {
        return Math.max(1, (int) Math.floor(s.get(P) * d));
    }
}
