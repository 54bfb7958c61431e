package dev.aenstream.online;

import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SourceBinding;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.eval.FeatureMatch;
import dev.aenstream.sae.importers.SaeSources;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.Trainer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes versions of the SAEs being trained: as encoders the stream can serve, numbered so that
 * a number is never used twice (even across restarts), each naming which feature of the version
 * before each of its features continues. A version that cannot be published now is counted and
 * tried again at the next interval.
 */
final class VersionPublication {
    private static final Logger LOG = LoggerFactory.getLogger(VersionPublication.class);

    /** n x D of the largest decoder kept for lineage: 128 MiB of float32. */
    static final long LINEAGE_MAX_VALUES = 1L << 25;

    private record PublishedAtoms(long version, int d, float[] wDec) {}

    private final VersionSink sink;
    private final OnlineTrainerConfig config;

    /** The newest version on the models topic per SAE id when the trainer opened. */
    private final Map<String, Long> newestOnTopic;

    private final Map<String, Long> published = new HashMap<>();

    /**
     * Decoders of the versions published last, per SAE id, to match the next one to; kept up to
     * {@link #LINEAGE_MAX_VALUES} values (larger dictionaries publish no lineage).
     */
    private final Map<String, PublishedAtoms> publishedAtoms = new HashMap<>();

    private long publishFailures;

    VersionPublication(
            VersionSink sink, OnlineTrainerConfig config, Map<String, Long> newestOnTopic) {
        this.sink = sink;
        this.config = config;
        this.newestOnTopic = Map.copyOf(newestOnTopic);
    }

    /** The version the SAE's figures and alerts belong to: the newest it published. */
    synchronized long current(String saeId) {
        return published.getOrDefault(saeId, 0L);
    }

    synchronized Map<String, Long> published() {
        return Map.copyOf(published);
    }

    long publishFailures() {
        return publishFailures;
    }

    /**
     * Publishes a version of {@code t}, bound to {@code source}; when the sink is unavailable, says
     * so and goes on.
     */
    void publish(Trainer t, SourceBinding source)
            throws ModelPublisher.Fenced, InterruptedException {
        try {
            publishVersion(t, source);
        } catch (VersionSink.Unavailable e) {
            publishFailures++;
            LOG.warn(
                    "could not publish SAE {} at step {} ({}); training goes on and publishes at"
                            + " the next interval",
                    t.saeId(),
                    t.stepsDone(),
                    e.getMessage());
        }
    }

    /**
     * The next version of {@code t}: one per {@code publishEvery} steps, and always past every
     * version already on the models topic, so a resumed trainer never reuses a number.
     */
    synchronized long next(Trainer t) {
        long floor = Math.max(newestOnTopic.getOrDefault(t.saeId(), 0L), current(t.saeId()));
        return Math.max(
                1 + t.stepsDone() / config.get(OnlineTrainerConfig.PUBLISH_EVERY), floor + 1);
    }

    private void publishVersion(Trainer t, SourceBinding source)
            throws VersionSink.Unavailable, ModelPublisher.Fenced, InterruptedException {
        long v = next(t);
        TrainConfig c = t.config();
        int kMax = c.penalty().kMax(c.settings(), Math.min(config.kMax(), c.d()));
        SaeParameters params = t.trainStep().parameters();
        var onnx =
                SaeSources.fromParameters(
                                params,
                                c.penalty()
                                        .encoderSpec(
                                                kMax,
                                                config.get(OnlineTrainerConfig.NORMALISE),
                                                config.weights()),
                                t.saeId() + " step " + t.stepsDone())
                        .model();
        Map<String, String> hyper = new LinkedHashMap<>();
        c.penaltySettings().forEach((name, value) -> hyper.put(name, value.toString()));
        hyper.put("step", Long.toString(t.stepsDone()));
        sink.publish(
                new ModelPublisher.Version(
                        t.saeId(),
                        v,
                        c.penalty().label(),
                        c.n(),
                        c.d(),
                        kMax,
                        config.get(OnlineTrainerConfig.NORMALISE)
                                ? Normalisation.UNIT_SQRT_N
                                : Normalisation.NONE,
                        hyper,
                        source,
                        lineage(t.saeId(), params)),
                onnx);
        synchronized (this) {
            published.put(t.saeId(), v);
        }
        if ((long) params.n() * params.d() <= LINEAGE_MAX_VALUES)
            publishedAtoms.put(t.saeId(), new PublishedAtoms(v, params.d(), params.wDec()));
        LOG.info("published SAE {} v{} at step {}", t.saeId(), v, t.stepsDone());
    }

    /**
     * Which feature of the version published before each feature of {@code params} continues, or
     * null for the first version this trainer publishes (ids carry over as they are).
     */
    private ModelPublisher.FeatureLineage lineage(String saeId, SaeParameters params) {
        PublishedAtoms before = publishedAtoms.get(saeId);
        if (before == null || (long) params.n() * params.d() > LINEAGE_MAX_VALUES) return null;
        FeatureMatch m =
                FeatureMatch.of(
                        before.wDec(),
                        before.d(),
                        params.wDec(),
                        params.d(),
                        params.n(),
                        FeatureMatch.DEFAULT_MIN_COS);
        return new ModelPublisher.FeatureLineage(before.version(), m.previous(), m.cos());
    }
}
