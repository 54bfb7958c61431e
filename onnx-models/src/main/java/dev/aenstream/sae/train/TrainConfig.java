package dev.aenstream.sae.train;

import static dev.aenstream.sae.setting.Setting.Defaults.always;
import static dev.aenstream.sae.setting.Setting.Defaults.per;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.Penalty;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.setting.Profile;
import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.Setting.Rule;
import dev.aenstream.sae.setting.SettingTable;
import dev.aenstream.sae.setting.SettingValues;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one SAE's training needs (docs/aen-sae.md): its penalty, the shape n x D, and a value
 * for every training setting. The settings every run has are declared here, each penalty's in its
 * class; {@link #ALL} lists them for the command line, the properties file and docs/.
 *
 * @param penalty AEN-SAE or one of its baselines
 * @param n width of an activation row
 * @param d dictionary size D
 * @param settings a value for each of {@link #ALL}, the penalty's included
 */
public record TrainConfig(Penalty penalty, int n, int d, SettingValues settings) {
    /** The smaller learning rate for language-model rows of this width and above. */
    public static final int LM_WIDE_N = 4096;

    public static final Setting<Integer> BATCH =
            Setting.integer(
                    "batch", "batch", "B", per(256, 4096), Rule.positive(), "Rows per step");

    public static final Setting<Double> LR =
            Setting.real(
                    "lr",
                    "lr",
                    "LR",
                    new Setting.Defaults<>() {
                        @Override
                        public Double at(Profile profile, int n) {
                            return profile == Profile.LANGUAGE_MODEL && n >= LM_WIDE_N
                                    ? 5e-4
                                    : 1e-3;
                        }

                        @Override
                        public String describe() {
                            return "0.001, 0.0005 for language-model rows of width "
                                    + LM_WIDE_N
                                    + " and more";
                        }
                    },
                    Rule.positive(),
                    "Adam's learning rate");

    public static final Setting<Double> MAX_GRAD_NORM =
            Setting.real(
                    "maxGradNorm",
                    "max-grad-norm",
                    "NORM",
                    per(Double.POSITIVE_INFINITY, 1.0),
                    Rule.positive(),
                    "Clip of the global gradient norm (Infinity: none)");

    public static final Setting<Double> ADAM_BETA1 =
            Setting.real(
                    "adamBeta1",
                    null,
                    null,
                    always(0.9),
                    Rule.decay(),
                    "Adam's first-moment decay");

    public static final Setting<Double> ADAM_BETA2 =
            Setting.real(
                    "adamBeta2",
                    null,
                    null,
                    always(0.999),
                    Rule.decay(),
                    "Adam's second-moment decay");

    public static final Setting<Double> ADAM_EPS =
            Setting.real("adamEps", null, null, always(1e-8), Rule.positive(), "Adam's epsilon");

    public static final Setting<Long> SEED =
            Setting.whole(
                    "seed",
                    "train-seed",
                    "SEED",
                    always(0L),
                    Rule.any(),
                    "Seed of the SAE's initialisation");

    public static final Setting<Long> DEAD_WINDOW_TOKENS =
            Setting.whole(
                    "deadWindowTokens",
                    "dead-window",
                    "TOKENS",
                    always(FeatureWindow.DEFAULT_DEAD_WINDOW_TOKENS),
                    Rule.positive(),
                    "Tokens without a fire after which a feature counts as dead (the authors'"
                            + " 10,000 steps of 256 rows; the monitor's default too)");

    /** The settings every run has, whatever its penalty. */
    public static final List<Setting<?>> COMMON =
            List.of(
                    BATCH,
                    LR,
                    MAX_GRAD_NORM,
                    ADAM_BETA1,
                    ADAM_BETA2,
                    ADAM_EPS,
                    SEED,
                    DEAD_WINDOW_TOKENS);

    /** Every training setting: the common ones, then each penalty's. */
    public static final List<Setting<?>> ALL = all();

    /**
     * Steps an offline run trains past T_warm + T_ramp unless told otherwise, so the adaptive
     * weights act at full strength for a real stretch (20,000 steps on the synthetic defaults; the
     * authors ran 50,000).
     */
    public static final long DEFAULT_STEPS_AFTER_RAMP = 8_000;

    /** The JSON key of the penalty, as checkpoints have always written it. */
    private static final String ARCH = "arch";

    private static List<Setting<?>> all() {
        List<Setting<?>> all = new ArrayList<>(COMMON);
        all.addAll(Penalties.settings());
        return List.copyOf(all);
    }

    public TrainConfig {
        if (penalty == null) throw new IllegalArgumentException("arch is required");
        if (n <= 0) throw new IllegalArgumentException("n must be positive, got " + n);
        if (d <= 0) throw new IllegalArgumentException("d must be positive, got " + d);
        if (settings == null || !settings.asMap().keySet().containsAll(ALL))
            throw new IllegalArgumentException("a training configuration needs every setting");
        penalty.validate(settings, d);
    }

    /** docs/aen-sae.md's defaults of {@code profile} for {@code penalty} at n x D. */
    public static TrainConfig of(Penalty penalty, int n, int d, Profile profile) {
        return new TrainConfig(penalty, n, d, fit(SettingValues.defaults(ALL, profile, n), d));
    }

    /**
     * The synthetic defaults: lambda1 0.005, lambda2 1e-4, gamma 0.5, beta 0.999, p 0.05, warm-up
     * 10000 + 2000, no clipping.
     */
    public static TrainConfig synthetic(Penalty penalty, int n, int d) {
        return of(penalty, n, d, Profile.SYNTHETIC);
    }

    /**
     * The language-model defaults: lambda2 1e-4, beta 0.9999, warm-up 4000 + 2000, clip 1.0, lr
     * 5e-4 for n = 4096.
     */
    public static TrainConfig languageModel(Penalty penalty, int n, int d) {
        return of(penalty, n, d, Profile.LANGUAGE_MODEL);
    }

    /** Defaults that cannot hold for a dictionary of {@code d}: TopK's k is capped at D. */
    private static SettingValues fit(SettingValues s, int d) {
        return s.get(TopK.K) > d ? s.with(TopK.K, d) : s;
    }

    /** The value of {@code setting}. */
    public <T> T get(Setting<T> setting) {
        return settings.get(setting);
    }

    /**
     * Whether the penalty reads {@code setting} (its own settings; every run has the common ones).
     */
    public boolean has(Setting<?> setting) {
        return COMMON.contains(setting) || penalty.settings().contains(setting);
    }

    /** This configuration with {@code setting} changed. */
    public TrainConfig with(Setting<?> setting, Number value) {
        return toBuilder().set(setting, value).build();
    }

    /**
     * This configuration with another lambda1 (matched sparsity moves it).
     *
     * @throws IllegalStateException for a penalty without one (TopK)
     */
    public TrainConfig withLambda1(double lambda1) {
        if (!has(Penalised.LAMBDA1))
            throw new IllegalStateException(penalty.label() + " has no lambda1");
        return with(Penalised.LAMBDA1, lambda1);
    }

    /** This configuration with another penalty, every setting kept. */
    public TrainConfig with(Penalty other) {
        return new TrainConfig(other, n, d, settings);
    }

    /** The warm-up factor phi(t) of the adaptive weights; 0 for penalties without them. */
    public double phi(long t) {
        return penalty.phi(settings, t);
    }

    /** The default length of an offline run: {@link #DEFAULT_STEPS_AFTER_RAMP} past the ramp. */
    public long defaultSteps() {
        return get(AdaptiveWeights.T_WARM) + get(AdaptiveWeights.T_RAMP) + DEFAULT_STEPS_AFTER_RAMP;
    }

    /** The penalty's settings by name, as versions and summaries record them. */
    public Map<String, Number> penaltySettings() {
        Map<String, Number> out = new LinkedHashMap<>();
        for (Setting<?> s : penalty.settings()) out.put(s.name(), (Number) get(s));
        return out;
    }

    /** The penalty's settings as {@code name=value}, for the line a run starts with. */
    public String describePenalty() {
        StringBuilder b = new StringBuilder();
        penaltySettings()
                .forEach(
                        (name, v) ->
                                b.append(b.isEmpty() ? "" : " ")
                                        .append(name)
                                        .append('=')
                                        .append(v));
        return b.toString();
    }

    /**
     * The reference table of docs/training.md, made from the declarations: flag, name, default,
     * rule, the penalties that read it, and its doc.
     */
    public static String referenceTable() {
        return SettingTable.of(
                ALL,
                "read by",
                s -> {
                    if (COMMON.contains(s)) return "all";
                    List<String> readers = new ArrayList<>();
                    for (Penalty p : Penalties.ALL)
                        if (p.settings().contains(s)) readers.add(p.label());
                    return String.join(", ", readers);
                });
    }

    /** A builder holding this configuration, to change several settings at once. */
    public Builder toBuilder() {
        return new Builder(penalty, n, d, settings);
    }

    /**
     * As checkpoints store it: the penalty's label under "arch", n, d and every setting by name.
     */
    @JsonValue
    public Map<String, Object> toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(ARCH, penalty.label());
        out.put("n", n);
        out.put("d", d);
        settings.asMap().forEach((s, v) -> out.put(s.name(), v));
        return out;
    }

    /**
     * Reads {@link #toJson}'s form (and that of older checkpoints, whose arch was upper case); a
     * setting a checkpoint predates takes its synthetic default.
     */
    @JsonCreator
    public static TrainConfig fromJson(Map<String, Object> json) {
        Object arch = json.get(ARCH);
        if (arch == null)
            throw new IllegalArgumentException("a training configuration names its arch");
        int n = ((Number) json.get("n")).intValue();
        int d = ((Number) json.get("d")).intValue();
        SettingValues s = SettingValues.defaults(ALL, Profile.SYNTHETIC, n);
        for (Setting<?> setting : ALL) {
            Object v = json.get(setting.name());
            if (v instanceof Number number) s = s.with(setting, number);
            else if (v != null) s = s.with(setting, setting.parse(v.toString()));
        }
        return new TrainConfig(Penalties.parse(arch.toString()), n, d, s);
    }

    /** Changes settings by name; {@link #build} checks them together. */
    public static final class Builder {
        private Penalty penalty;
        private final int n;
        private int d;
        private SettingValues settings;

        private Builder(Penalty penalty, int n, int d, SettingValues settings) {
            this.penalty = penalty;
            this.n = n;
            this.d = d;
            this.settings = settings;
        }

        /** Sets {@code setting}, checked against its own rule now. */
        public Builder set(Setting<?> setting, Number value) {
            settings = settings.with(setting, value);
            return this;
        }

        /**
         * Sets the setting {@code key} names (name or flag) from text, as {@code --sae} gives it.
         */
        public Builder set(String key, String value) {
            Setting<?> setting = settings.find(key);
            settings = settings.with(setting, setting.parse(value));
            return this;
        }

        public Builder penalty(Penalty p) {
            penalty = p;
            return this;
        }

        /** Sets D; a TopK k above it is capped at it. */
        public Builder d(int v) {
            d = v;
            settings = fit(settings, v);
            return this;
        }

        public TrainConfig build() {
            return new TrainConfig(penalty, n, d, settings);
        }
    }
}
