package dev.aenstream.monitor;

/**
 * When a model-level alert goes out, for the trainer and the stream monitor alike.
 *
 * @param deadFractionPct DEAD_FRACTION_HIGH above this percentage of dead features
 * @param saturation WEIGHT_SATURATED above this share of adaptive weights pinned at w_max
 */
public record ModelAlertThresholds(double deadFractionPct, double saturation) {
    public static final double DEFAULT_DEAD_FRACTION_PCT = 20;
    public static final double DEFAULT_SATURATION = 0.5;

    public ModelAlertThresholds {
        if (!(deadFractionPct > 0 && deadFractionPct <= 100)) {
            throw new IllegalArgumentException(
                    "dead fraction threshold must be in (0, 100], got " + deadFractionPct);
        }
        if (!(saturation > 0 && saturation <= 1))
            throw new IllegalArgumentException(
                    "saturation threshold must be in (0, 1], got " + saturation);
    }

    public static ModelAlertThresholds defaults() {
        return new ModelAlertThresholds(DEFAULT_DEAD_FRACTION_PCT, DEFAULT_SATURATION);
    }
}
