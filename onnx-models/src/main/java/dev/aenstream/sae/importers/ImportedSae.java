package dev.aenstream.sae.importers;

import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;

/**
 * An SAE read from another tool's files (or our own): our parameters, how to build its encoder,
 * where it came from, the model and hook point it reads when its files say (else null), and its
 * threshold per feature when its activation has thresholds (JumpReLU; else null).
 */
public record ImportedSae(
        SaeParameters params,
        EncoderSpec spec,
        String source,
        String modelName,
        String hookName,
        float[] threshold) {
    public ImportedSae {
        spec.activation().checkThresholds(threshold == null ? -1 : threshold.length, params.d());
    }

    /**
     * The SAE an encoder graph aen built was made from, read back from its tensors (decoder and
     * thresholds included), built to {@code spec}.
     */
    public static ImportedSae of(
            dev.aenstream.sae.onnx.EncoderTensors.Read read, EncoderSpec spec, String source)
            throws java.io.IOException {
        var threshold = read.weights().threshold();
        return new ImportedSae(
                dev.aenstream.sae.onnx.EncoderTensors.parameters(read),
                spec,
                source,
                null,
                null,
                threshold == null ? null : threshold.floats());
    }

    /** This SAE, naming the model and hook point it was trained on. */
    public ImportedSae named(String modelName, String hookName) {
        return new ImportedSae(params, spec, source, modelName, hookName, threshold);
    }

    /** A ReLU or TopK SAE whose files do not name its model and hook point. */
    public ImportedSae(SaeParameters params, EncoderSpec spec, String source) {
        this(params, spec, source, null, null, null);
    }
}
