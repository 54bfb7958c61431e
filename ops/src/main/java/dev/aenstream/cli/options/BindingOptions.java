package dev.aenstream.cli.options;

import dev.aenstream.avro.SourceBinding;
import picocli.CommandLine.Option;

/** Which activation records an SAE takes: one source model and hook point of a shared topic. */
public final class BindingOptions {
    @Option(
            names = "--source-model",
            paramLabel = "MODEL",
            description =
                    "Take only activation records of this source model (ActivationBatch"
                            + ".sourceModel); others are counted and passed over. Versions the"
                            + " trainer publishes carry it, and encoders serve them to those"
                            + " records only. Default: the trainer takes the first record's, a"
                            + " file served by the encoder takes any.")
    String sourceModel;

    @Option(
            names = "--hook-point",
            paramLabel = "HOOK",
            description =
                    "Take only activation records of this hook point, as --source-model does for"
                            + " the model: several hooks can share one topic.")
    String hookPoint;

    public SourceBinding binding() {
        return new SourceBinding(sourceModel, hookPoint);
    }
}
