package dev.aenstream.chaos;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.Topics;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.models.ModelSigning;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.importers.SaeSources;
import dev.aenstream.sae.onnx.EncoderSpec;
import java.util.Map;

/**
 * A version that only a stolen write credential could publish: a well-formed SAE of the right
 * shape, far ahead of the trainer's versions, signed by a key nobody trusts. Encoders must refuse
 * it and say so (MODEL_REFUSED), and keep serving the trainer's versions after it.
 */
final class ForgedVersion {
    /**
     * How far ahead of the newest version the forgery is numbered: the trainer never gets there.
     */
    static final long AHEAD = 1000;

    private ForgedVersion() {}

    /** Publishes a forged version of the first SAE as {@code as}; returns its metadata. */
    static SaeModel publish(KafkaConnection as, Topics topics, String saeId, ChaosSettings settings)
            throws Exception {
        SaeModel newest = ModelRecords.newestVersions(as, topics.models()).get(saeId);
        long version = (newest == null ? 0 : newest.getVersion()) + AHEAD;
        EncoderSpec spec = new EncoderSpec(EncoderSpec.DEFAULT_K_MAX, false);
        var graph =
                SaeSources.fromParameters(
                        SaeParameters.initialise(settings.n(), settings.dSae(), settings.seed()),
                        spec,
                        "a forgery");
        try (ModelPublisher publisher =
                new ModelPublisher(as, topics.models(), ModelSigning.generate())) {
            return publisher.publish(
                    new ModelPublisher.Version(
                            saeId,
                            version,
                            "aen",
                            settings.n(),
                            settings.dSae(),
                            spec.kMax(),
                            Normalisation.NONE,
                            Map.of()),
                    graph.model());
        }
    }
}
