package dev.aenstream.produce.synthetic;

import static dev.aenstream.sae.setting.Setting.Defaults.always;

import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.Setting.Rule;
import dev.aenstream.sae.setting.SettingValues;
import java.util.List;

/**
 * docs/aen-sae.md's synthetic "spiked" data: {@link #ATOMS} true unit atoms in dimension {@link
 * #N}, each {@code normalise(sqrt(1-rho) u_j + sqrt(rho) v)} with one shared spike v; every sample
 * has exactly {@link #K} active atoms with magnitudes uniform in [1, 3], plus optional Gaussian
 * noise of standard deviation {@link #NOISE}. The same seed gives the same stream. A value for each
 * setting in {@link #ALL}, each declared once below.
 */
public record SpikedConfig(SettingValues settings) {
    public static final Setting<Integer> N =
            Setting.integer("n", "n", "N", always(256), Rule.positive(), "Width of a row");

    public static final Setting<Integer> ATOMS =
            Setting.integer(
                    "atoms",
                    "atoms",
                    "ATOMS",
                    always(1024),
                    Rule.positive(),
                    "True dictionary atoms");

    public static final Setting<Integer> K =
            Setting.integer(
                    "k",
                    "k",
                    "K",
                    always(16),
                    Rule.positive(),
                    "Active atoms per row (at most --atoms)");

    public static final Setting<Double> RHO =
            Setting.real(
                    "rho",
                    "rho",
                    "RHO",
                    always(0.0),
                    Rule.decay(),
                    "Share of the spike common to all atoms");

    public static final Setting<Double> NOISE =
            Setting.real(
                    "noise",
                    "noise",
                    "SIGMA",
                    always(0.0),
                    Rule.nonNegative(),
                    "Standard deviation of Gaussian noise added to every element");

    public static final Setting<Long> SEED =
            Setting.whole(
                    "seed",
                    "seed",
                    "SEED",
                    always(0L),
                    Rule.any(),
                    "Seed of the dictionary and the rows; the same seed gives the same stream");

    /** Every setting of the spiked data, in the order --help lists them. */
    public static final List<Setting<?>> ALL = List.of(N, ATOMS, K, RHO, NOISE, SEED);

    public static final double MIN_MAGNITUDE = 1;
    public static final double MAX_MAGNITUDE = 3;

    public SpikedConfig {
        if (settings == null) throw new IllegalArgumentException("spiked settings are required");
        for (Setting<?> s : ALL) settings.get(s);
        int atoms = settings.get(ATOMS);
        int k = settings.get(K);
        if (k > atoms)
            throw new IllegalArgumentException("k must be in 1.." + atoms + ", got " + k);
    }

    public static SpikedConfig defaults() {
        return new SpikedConfig(SettingValues.defaults(ALL));
    }

    /** A builder on the defaults. */
    public static Builder builder() {
        return defaults().toBuilder();
    }

    /** The value of {@code setting}. */
    public <T> T get(Setting<T> setting) {
        return settings.get(setting);
    }

    /** This configuration with {@code setting} changed. */
    public SpikedConfig with(Setting<?> setting, Object value) {
        return new SpikedConfig(settings.with(setting, value));
    }

    /** A builder holding this configuration, to change several settings. */
    public Builder toBuilder() {
        return new Builder(settings);
    }

    /** Changes settings, each checked against its rule as it is set; {@link #build} checks k. */
    public static final class Builder {
        private SettingValues settings;

        private Builder(SettingValues settings) {
            this.settings = settings;
        }

        public Builder set(Setting<?> setting, Object value) {
            settings = settings.with(setting, value);
            return this;
        }

        public SpikedConfig build() {
            return new SpikedConfig(settings);
        }
    }
}
