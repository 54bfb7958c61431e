package dev.aenstream.online;

import static dev.aenstream.sae.setting.Setting.Defaults.always;

import dev.aenstream.avro.SourceBinding;
import dev.aenstream.avro.Topics;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.WeightPrecision;
import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.Setting.Rule;
import dev.aenstream.sae.setting.SettingValues;
import dev.aenstream.sae.train.SparsityTarget;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;

/**
 * How the online trainer runs: a value for each {@link Setting} in {@link #ALL} (declared once
 * below with flag, default, rule and doc), and the parts the command line gives apart from them.
 *
 * @param topics the topic set it reads activations from and publishes to
 * @param settings group, cadences, shuffling, normalisation, idle exit and matched sparsity
 * @param checkpointDir where checkpoints go; null keeps none
 * @param kMax top-k cut of published encoders (TopK SAEs use their k)
 * @param weights the element type published encoders store their weight matrices in
 * @param signingKeys the key pair every published version is signed with; null publishes unsigned
 * @param source the records the SAEs take; where it leaves the model or hook open, the first
 *     record's fills it, since an SAE learns one hook
 */
public record OnlineTrainerConfig(
        Topics topics,
        SettingValues settings,
        Path checkpointDir,
        int kMax,
        WeightPrecision weights,
        KeyPair signingKeys,
        SourceBinding source) {
    public static final Setting<String> GROUP_ID =
            Setting.text(
                    "groupId",
                    "group-id",
                    "ID",
                    "aen-trainer",
                    Rule.present(),
                    "Consumer group the trainer commits its progress under");

    public static final Setting<Long> CHECKPOINT_EVERY =
            Setting.whole(
                    "checkpointEvery",
                    "checkpoint-every",
                    "STEPS",
                    always(1000L),
                    Rule.positive(),
                    "Steps between checkpoints; one is also written at the end");

    public static final Setting<Long> PUBLISH_EVERY =
            Setting.whole(
                    "publishEvery",
                    "publish-every",
                    "STEPS",
                    always(500L),
                    Rule.positive(),
                    "Steps between versions published to the models topic");

    public static final Setting<Long> METRICS_EVERY =
            Setting.whole(
                    "metricsEvery",
                    "metrics-every",
                    "STEPS",
                    always(100L),
                    Rule.positive(),
                    "Steps between trainer-metrics records (figures and facts)");

    public static final Setting<Integer> SHUFFLE_ROWS =
            Setting.integer(
                    "shuffleRows",
                    "shuffle-rows",
                    "ROWS",
                    always(0),
                    Rule.nonNegative(),
                    "Rows in the shuffle buffer batches are drawn from; 0 trains in arrival order");

    public static final Setting<Boolean> NORMALISE =
            Setting.bool(
                    "normalise",
                    "normalise",
                    false,
                    "Rescale rows to L2 norm sqrt(n) before training, and in the published"
                            + " encoders");

    public static final Setting<Double> IDLE_EXIT_SECONDS =
            Setting.real(
                    "idleExitSeconds",
                    "idle-exit",
                    "SECONDS",
                    always(0.0),
                    Rule.nonNegative(),
                    "Stop (with a checkpoint) after this long without new activations; 0 runs"
                            + " until stopped");

    public static final Setting<Double> TARGET_L0 =
            Setting.real(
                    "targetL0",
                    null,
                    "L0",
                    always(0.0),
                    Rule.nonNegative(),
                    "Matched sparsity: penalised SAEs move lambda1 towards this L0 for as long as"
                            + " they train (0: off; aen train's --target-l0)");

    public static final Setting<Long> SETTLE_STEPS =
            Setting.whole(
                    "settleSteps",
                    null,
                    "STEPS",
                    always(SparsityTarget.DEFAULT_SETTLE_STEPS),
                    Rule.nonNegative(),
                    "Steps before matched sparsity first moves lambda1; AEN also waits for the end"
                            + " of its warm-up (T_warm)");

    /** What a trainer does when it falls behind its stream. */
    public enum LagPolicy {
        /** Train on every row once, however far behind (the default). */
        EVERY_ROW,
        /**
         * Past {@link #MAX_LAG_RECORDS} behind, jump to the newest records; what is jumped over is
         * counted, reported in the trainer's metrics, and alerted (ROWS_SKIPPED_FOR_LAG).
         */
        SKIP_TO_LATEST
    }

    public static final Setting<LagPolicy> LAG_POLICY =
            Setting.choice(
                    "lagPolicy",
                    "lag-policy",
                    "POLICY",
                    LagPolicy.class,
                    LagPolicy.EVERY_ROW,
                    "What a trainer behind its stream does: every-row trains on each row once;"
                            + " skip-to-latest jumps to the newest records once it is more than"
                            + " --max-lag-records behind, and counts and alerts what it skipped");

    public static final Setting<Long> MAX_LAG_RECORDS =
            Setting.whole(
                    "maxLagRecords",
                    "max-lag-records",
                    "RECORDS",
                    always(10_000L),
                    Rule.positive(),
                    "Activation records behind the topic's end past which --lag-policy"
                            + " skip-to-latest jumps");

    /** Every setting of the online trainer, in the order --help and docs/ list them. */
    public static final List<Setting<?>> ALL =
            List.of(
                    GROUP_ID,
                    CHECKPOINT_EVERY,
                    PUBLISH_EVERY,
                    METRICS_EVERY,
                    SHUFFLE_ROWS,
                    NORMALISE,
                    IDLE_EXIT_SECONDS,
                    TARGET_L0,
                    SETTLE_STEPS,
                    LAG_POLICY,
                    MAX_LAG_RECORDS);

    public OnlineTrainerConfig {
        if (topics == null) throw new IllegalArgumentException("topics are required");
        if (settings == null) throw new IllegalArgumentException("trainer settings are required");
        for (Setting<?> s : ALL) settings.get(s);
        if (kMax <= 0) throw new IllegalArgumentException("k_max must be positive, got " + kMax);
        if (weights == null) throw new IllegalArgumentException("weights need a precision");
        if (source == null) source = SourceBinding.ANY;
    }

    /** The value of {@code setting}. */
    public <T> T get(Setting<T> setting) {
        return settings.get(setting);
    }

    /** This configuration with {@code setting} changed. */
    public OnlineTrainerConfig with(Setting<?> setting, Object value) {
        return new Builder(this).set(setting, value).build();
    }

    /** {@link #IDLE_EXIT_SECONDS} in milliseconds; 0 runs until stopped. */
    public long idleExitMs() {
        return Math.round(get(IDLE_EXIT_SECONDS) * 1000);
    }

    /**
     * Whether penalised SAEs track a target L0 with their lambda1 (docs/training.md, "Matched
     * sparsity").
     */
    public boolean matchesSparsity() {
        return get(TARGET_L0) > 0;
    }

    /** A builder on the defaults for {@code topics}. */
    public static Builder builder(Topics topics) {
        return new Builder(
                new OnlineTrainerConfig(
                        topics,
                        SettingValues.defaults(ALL),
                        null,
                        EncoderSpec.DEFAULT_K_MAX,
                        WeightPrecision.FLOAT32,
                        null,
                        SourceBinding.ANY));
    }

    /** Changes settings and parts; {@link #build} validates. */
    public static final class Builder {
        private final Topics topics;
        private SettingValues settings;
        private Path checkpointDir;
        private int kMax;
        private WeightPrecision weights;
        private KeyPair signingKeys;
        private SourceBinding source;

        private Builder(OnlineTrainerConfig c) {
            topics = c.topics;
            settings = c.settings;
            checkpointDir = c.checkpointDir;
            kMax = c.kMax;
            weights = c.weights;
            signingKeys = c.signingKeys;
            source = c.source;
        }

        /** Sets {@code setting}, checked against its rule now. */
        public Builder set(Setting<?> setting, Object value) {
            settings = settings.with(setting, value);
            return this;
        }

        public Builder checkpointDir(Path v) {
            checkpointDir = v;
            return this;
        }

        public Builder kMax(int v) {
            kMax = v;
            return this;
        }

        /** Stores the weight matrices of published versions in this precision. */
        public Builder weights(WeightPrecision v) {
            weights = v;
            return this;
        }

        /** Signs every published version with these keys (null: unsigned). */
        public Builder signingKeys(KeyPair v) {
            signingKeys = v;
            return this;
        }

        /** Takes only the records of this source model and hook point (null sides: the first's). */
        public Builder source(SourceBinding v) {
            source = v;
            return this;
        }

        public OnlineTrainerConfig build() {
            return new OnlineTrainerConfig(
                    topics, settings, checkpointDir, kMax, weights, signingKeys, source);
        }
    }
}
