package dev.aenstream.sae.penalty;

import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.Graph;
import dev.aenstream.sae.onnx.WeightPrecision;
import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.SettingValues;
import java.util.List;
import java.util.Map;

/**
 * The penalty on the codes, which is all that tells AEN-SAE from its baselines (docs/aen-sae.md).
 * Each kind is one small class that owns its settings, their checks, its part of the training
 * step's graph and the values that feed it; {@link Penalties} registers them. Nothing outside this
 * package asks which kind it holds.
 */
public sealed interface Penalty permits Penalised, TopK {
    /** State input [D] of the penalised steps: the EMA m_j of mean |h_j|. */
    String EMA = "ema";

    /** State input [D] of the ghost step: the EMA of each feature's firing rate. */
    String FIRING_EMA = "firing_ema";

    /** Per-feature output [D] of the adaptive steps: the weights w_j before the ramp. */
    String WEIGHTS = "w";

    /** State input [D] of the AuxK step: tokens since each feature last fired. */
    String SINCE_FIRED = "since_fired";

    /**
     * Scalar output of the ghost and AuxK steps: the auxiliary loss that reaches dead features
     * (also part of {@code loss}).
     */
    String AUX_LOSS = "aux_loss";

    /** The name on the command line, in checkpoints and on the models topic, e.g. {@code aen}. */
    String label();

    /** What it is, in a few words for {@code --help}. */
    String description();

    /** The settings it reads, beyond those every run has. */
    List<Setting<?>> settings();

    /**
     * Refuses settings that pass their own rules but not together, for a dictionary of {@code d}.
     */
    default void validate(SettingValues s, int d) {}

    /** The warm-up factor phi(t) of the adaptive weights: 0 for penalties without them. */
    default double phi(SettingValues s, long t) {
        return 0;
    }

    /** How many features a version's encoder lets out: TopK its k, the others {@code cut}. */
    int kMax(SettingValues s, int cut);

    /** The encoder a version is served with. */
    EncoderSpec encoderSpec(int kMax, boolean normalise, WeightPrecision weights);

    /** Declares this penalty's inputs on {@code g} and returns its part of one training step. */
    StepTerms stepTerms(Graph g, int d);

    /**
     * Its part of the sparse training step for a dictionary of {@code d}, or null when its step has
     * no exact sparse form (every built-in penalty has one).
     */
    default SparseTerms sparseTerms(SettingValues s, int d) {
        return null;
    }

    /**
     * The values of its inputs that stay fixed for a run: a Long feeds an int64 [1] tensor, a
     * Double a real scalar.
     */
    Map<String, Number> constants(SettingValues s, int d);

    /** The values of its scalar inputs that change with the step {@code t}. */
    Map<String, Double> perStep(SettingValues s, long t);

    /**
     * The state vectors [D] it carries from step to step, among {@link #EMA}, {@link #FIRING_EMA},
     * {@link #SINCE_FIRED}.
     */
    List<String> state();

    /** The outputs of its own that each step reports, among {@link #WEIGHTS}, {@link #AUX_LOSS}. */
    List<String> outputs();
}
