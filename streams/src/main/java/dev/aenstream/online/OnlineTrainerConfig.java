package dev.aenstream.online;

import dev.aenstream.avro.SourceBinding;
import dev.aenstream.avro.Topics;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.WeightPrecision;
import dev.aenstream.sae.train.SparsityTarget;
import java.nio.file.Path;
import java.security.KeyPair;

/**
 * How the online trainer runs. {@link #builder} starts from the defaults (the constants below) and
 * sets fields by name.
 *
 * @param topics the topic set it reads activations from and publishes to
 * @param groupId consumer group the trainer commits its progress under
 * @param checkpointDir where checkpoints go; null keeps none
 * @param checkpointEvery steps between checkpoints
 * @param publishEvery steps between versions published to the models topic
 * @param metricsEvery steps between trainer-metrics records (figures and facts)
 * @param shuffleRows rows in the shuffle buffer batches are drawn from; 0 trains in arrival order
 * @param normalise rescale rows to L2 norm sqrt(n) before training, and in the published encoders
 * @param kMax top-k cut of published encoders (TopK SAEs use their k)
 * @param weights the element type published encoders store their weight matrices in
 * @param targetL0 matched sparsity: penalised SAEs move lambda1 towards this L0 (0: off)
 * @param settleSteps steps before matched sparsity first moves lambda1
 * @param idleExitMs stop after this long without new records; 0 runs until stopped
 * @param signingKeys the key pair every published version is signed with; null publishes unsigned
 * @param source the records the SAEs take; where it leaves the model or hook open, the first
 *     record's fills it, since an SAE learns one hook
 */
public record OnlineTrainerConfig(
        Topics topics,
        String groupId,
        Path checkpointDir,
        long checkpointEvery,
        long publishEvery,
        long metricsEvery,
        int shuffleRows,
        boolean normalise,
        int kMax,
        long idleExitMs,
        double targetL0,
        long settleSteps,
        KeyPair signingKeys,
        WeightPrecision weights,
        SourceBinding source) {
    public static final String DEFAULT_GROUP = "aen-trainer";
    public static final long DEFAULT_CHECKPOINT_EVERY = 1000;
    public static final long DEFAULT_PUBLISH_EVERY = 500;
    public static final long DEFAULT_METRICS_EVERY = 100;
    public static final int DEFAULT_SHUFFLE_ROWS = 0;
    public static final long DEFAULT_IDLE_EXIT_MS = 0;

    public OnlineTrainerConfig {
        if (topics == null || groupId == null || groupId.isBlank())
            throw new IllegalArgumentException("topics and group id are required");
        if (checkpointEvery <= 0 || publishEvery <= 0 || metricsEvery <= 0) {
            throw new IllegalArgumentException(
                    "checkpoint, publish and metrics intervals must be positive");
        }
        if (shuffleRows < 0 || kMax <= 0)
            throw new IllegalArgumentException("shuffle >= 0 and k_max > 0 required");
        if (weights == null) throw new IllegalArgumentException("weights need a precision");
        if (source == null) source = SourceBinding.ANY;
        if (idleExitMs < 0) throw new IllegalArgumentException("idle exit must be >= 0");
        if (!(targetL0 >= 0)) throw new IllegalArgumentException("target L0 must be >= 0");
        if (settleSteps < 0) throw new IllegalArgumentException("settle steps must be >= 0");
    }

    /**
     * Whether penalised SAEs track a target L0 with their lambda1 (docs/training.md, "Matched
     * sparsity").
     */
    public boolean matchesSparsity() {
        return targetL0 > 0;
    }

    /** A builder on the defaults for {@code topics}. */
    public static Builder builder(Topics topics) {
        return new Builder(topics);
    }

    /** Sets fields by name; {@link #build} validates. */
    public static final class Builder {
        private final Topics topics;
        private String groupId = DEFAULT_GROUP;
        private Path checkpointDir;
        private long checkpointEvery = DEFAULT_CHECKPOINT_EVERY;
        private long publishEvery = DEFAULT_PUBLISH_EVERY;
        private long metricsEvery = DEFAULT_METRICS_EVERY;
        private int shuffleRows = DEFAULT_SHUFFLE_ROWS;
        private boolean normalise;
        private int kMax = EncoderSpec.DEFAULT_K_MAX;
        private long idleExitMs = DEFAULT_IDLE_EXIT_MS;
        private double targetL0;
        private long settleSteps = SparsityTarget.DEFAULT_SETTLE_STEPS;
        private KeyPair signingKeys;
        private WeightPrecision weights = WeightPrecision.FLOAT32;
        private SourceBinding source = SourceBinding.ANY;

        private Builder(Topics topics) {
            this.topics = topics;
        }

        public Builder groupId(String v) {
            groupId = v;
            return this;
        }

        public Builder checkpointDir(Path v) {
            checkpointDir = v;
            return this;
        }

        public Builder checkpointEvery(long v) {
            checkpointEvery = v;
            return this;
        }

        public Builder publishEvery(long v) {
            publishEvery = v;
            return this;
        }

        public Builder metricsEvery(long v) {
            metricsEvery = v;
            return this;
        }

        public Builder shuffleRows(int v) {
            shuffleRows = v;
            return this;
        }

        public Builder normalise(boolean v) {
            normalise = v;
            return this;
        }

        public Builder kMax(int v) {
            kMax = v;
            return this;
        }

        public Builder idleExitMs(long v) {
            idleExitMs = v;
            return this;
        }

        /**
         * Penalised SAEs move lambda1 towards this L0 for as long as they train; 0 turns it off.
         */
        public Builder targetL0(double v) {
            targetL0 = v;
            return this;
        }

        /** Steps before matched sparsity first moves lambda1. */
        public Builder settleSteps(long v) {
            settleSteps = v;
            return this;
        }

        /** Stores the weight matrices of published versions in this precision. */
        public Builder weights(WeightPrecision v) {
            weights = v;
            return this;
        }

        /** Takes only the records of this source model and hook point (null sides: the first's). */
        public Builder source(SourceBinding v) {
            source = v;
            return this;
        }

        /** Signs every published version with these keys (null: unsigned). */
        public Builder signingKeys(KeyPair v) {
            signingKeys = v;
            return this;
        }

        public OnlineTrainerConfig build() {
            return new OnlineTrainerConfig(
                    topics,
                    groupId,
                    checkpointDir,
                    checkpointEvery,
                    publishEvery,
                    metricsEvery,
                    shuffleRows,
                    normalise,
                    kMax,
                    idleExitMs,
                    targetL0,
                    settleSteps,
                    signingKeys,
                    weights,
                    source);
        }
    }
}
