package dev.aenstream.produce.splice;

import ai.onnxruntime.OrtException;
import dev.aenstream.avro.ModelHead;
import dev.aenstream.avro.SpliceFigures;
import dev.aenstream.produce.transformer.TokenSequence;
import dev.aenstream.produce.transformer.TransformerProducer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splices the SAE versions served now into a sampled share of a producer's batches, and after each
 * sampled batch reports what the model loses per SAE and version: cumulative over the version's
 * batches so far, so the latest record of a version holds all of it. A version that cannot be
 * spliced (no decoder, another width) is reported once in the log and left out; the producer goes
 * on.
 */
public final class LiveSplice implements TransformerProducer.BatchObserver, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveSplice.class);

    /** One SAE version to splice. */
    public record Target(String saeId, long version, SaeSplice sae) {}

    /** Where the figures come from: the model, its hook, and the producer's id. */
    public record Source(String sourceModel, String hookPoint, String producerId) {}

    private final SplicedModel model;
    private final Supplier<List<Target>> targets;
    private final double share;
    private final Source source;
    private final Consumer<SpliceFigures> sink;
    private final Map<String, Running> running = new HashMap<>();
    private final Set<String> refused = new HashSet<>();
    private long batches;

    private record Running(long version, SpliceEvaluation evaluation) {}

    /**
     * @param share the share of batches spliced, in (0, 1]: every batch i where floor((i+1) share)
     *     passes an integer, so exactly that share over any long run, evenly spread
     */
    public LiveSplice(
            SplicedModel model,
            Supplier<List<Target>> targets,
            double share,
            Source source,
            Consumer<SpliceFigures> sink) {
        if (!(share > 0 && share <= 1))
            throw new IllegalArgumentException("the spliced share must be in (0, 1], got " + share);
        this.model = model;
        this.targets = targets;
        this.share = share;
        this.source = source;
        this.sink = sink;
    }

    @Override
    public void ran(List<TokenSequence> batch) throws OrtException {
        long i = batches++;
        if (Math.floor((i + 1) * share) == Math.floor(i * share)) return;
        List<Target> now = targets.get();
        if (now.isEmpty()) return;
        SplicedModel.Pass clean = model.clean(batch);
        for (Target t : now) {
            String key = t.saeId() + " v" + t.version();
            if (refused.contains(key)) continue;
            Running r = running.get(t.saeId());
            if (r == null || r.version() != t.version()) {
                r = new Running(t.version(), new SpliceEvaluation(model, t.sae()));
                running.put(t.saeId(), r);
            }
            try {
                r.evaluation().add(batch, clean);
            } catch (IllegalArgumentException e) {
                refused.add(key);
                LOG.warn("not splicing SAE {}: {}", key, e.getMessage());
                continue;
            }
            sink.accept(figures(t, r.evaluation()));
        }
    }

    private SpliceFigures figures(Target t, SpliceEvaluation e) {
        return SpliceFigures.newBuilder()
                .setSaeId(t.saeId())
                .setVersion(t.version())
                .setSourceModel(source.sourceModel())
                .setHookPoint(source.hookPoint())
                .setProducerId(source.producerId())
                .setHead(
                        e.head() == SplicedModel.Head.LOGITS
                                ? ModelHead.LOGITS
                                : ModelHead.EMBEDDING)
                .setSequences(e.sequences())
                .setTokens(e.tokens())
                .setFigures(new HashMap<>(e.figures()))
                .setTimestampMs(System.currentTimeMillis())
                .build();
    }

    @Override
    public void close() throws OrtException {
        model.close();
    }
}
