package dev.aenstream.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.cli.options.SpliceOptions;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.models.ModelFollower;
import dev.aenstream.models.ModelTrust;
import dev.aenstream.produce.splice.LiveSplice;
import dev.aenstream.produce.splice.SaeSplice;
import dev.aenstream.produce.splice.SpliceFiguresPublisher;
import dev.aenstream.produce.splice.SplicedModel;
import dev.aenstream.produce.transformer.TransformerProducer;
import dev.aenstream.sae.runtime.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A producer's live splice and what it owns: the spliced model, the publisher of its figures, and
 * (for {@code aen produce transformer}) the follower of the models topic that brings the versions.
 */
final class Splicing implements AutoCloseable {
    /** Where the producer's model is hooked, and which SAEs to splice there how often. */
    record Plan(
            ModelProto model,
            String hook,
            String sourceModel,
            String producerId,
            SpliceOptions options,
            double share) {}

    /**
     * The share of batches the demo splices on a language model, unless --splice-share: each
     * spliced batch costs five forward passes for two SAEs, and the demo's producer shares two
     * cores with its trainers and encoders.
     */
    static final double DEMO_SHARE = 0.05;

    private final ModelFollower follower;
    private final SpliceFiguresPublisher figures;
    private final LiveSplice live;

    private Splicing(ModelFollower follower, SpliceFiguresPublisher figures, LiveSplice live) {
        this.follower = follower;
        this.figures = figures;
        this.live = live;
    }

    /** Splices the versions {@code serving} holds now (the encoders' own, in the demo). */
    static Splicing of(
            Plan plan,
            Supplier<List<ServingSae>> serving,
            KafkaConnection connection,
            Topics topics,
            Device device,
            int threads)
            throws Exception {
        return open(plan, serving, null, connection, topics, device, threads);
    }

    /**
     * The demo's live splice of the versions its encoders serve, shown the batches of {@code feed};
     * null for synthetic rows or a share of 0.
     */
    static Splicing demo(
            SpliceOptions options,
            DemoSource feed,
            Supplier<List<ServingSae>> serving,
            KafkaConnection connection,
            Topics topics,
            String producerId,
            Device device,
            int threads)
            throws Exception {
        double share = options.share(feed.model() == null ? 0 : DEMO_SHARE);
        if (share == 0 || feed.model() == null) return null;
        Plan plan =
                new Plan(
                        feed.model(),
                        feed.hookPoint(),
                        feed.sourceModel(),
                        producerId,
                        options,
                        share);
        Splicing splicing = of(plan, serving, connection, topics, device, threads);
        feed.observe(splicing.observer());
        return splicing;
    }

    /** Splices the versions a follower of the models topic loads, as encoders do. */
    static Splicing following(
            Plan plan,
            int n,
            ModelTrust trust,
            KafkaConnection connection,
            Topics topics,
            Device device,
            int threads)
            throws Exception {
        SaeRegistry registry = new SaeRegistry();
        ModelFollower follower =
                new ModelFollower(connection, topics, registry, null, n, trust, device, threads)
                        .start();
        return open(plan, registry::serving, follower, connection, topics, device, threads);
    }

    private static Splicing open(
            Plan plan,
            Supplier<List<ServingSae>> serving,
            ModelFollower follower,
            KafkaConnection connection,
            Topics topics,
            Device device,
            int threads)
            throws Exception {
        SplicedModel model = SplicedModel.open(plan.model(), plan.hook(), device, threads);
        SpliceFiguresPublisher figures =
                new SpliceFiguresPublisher(connection, topics.spliceFigures(), plan.producerId());
        LiveSplice live =
                new LiveSplice(
                        model,
                        () -> targets(serving.get(), plan),
                        plan.share(),
                        new LiveSplice.Source(plan.sourceModel(), plan.hook(), plan.producerId()),
                        figures);
        System.out.printf(
                "splicing %s into %.0f%% of the batches; figures to %s%n",
                plan.options().which(), 100 * plan.share(), topics.spliceFigures());
        return new Splicing(follower, figures, live);
    }

    /** What the producer shows each batch to. */
    TransformerProducer.BatchObserver observer() {
        return live;
    }

    /**
     * The wanted SAEs served now that can be spliced: whole dictionaries (a shard reconstructs
     * nothing alone) with a decoder, bound to this model and hook or to any.
     */
    private static List<LiveSplice.Target> targets(List<ServingSae> serving, Plan plan) {
        List<LiveSplice.Target> out = new ArrayList<>();
        for (ServingSae s : serving) {
            if (!plan.options().wanted(s.saeId())
                    || s.decoder() == null
                    || s.shard().count() > 1
                    || !s.source().accepts(plan.sourceModel(), plan.hook())) continue;
            out.add(
                    new LiveSplice.Target(
                            s.saeId(),
                            s.version(),
                            new SaeSplice(s.encoder(), s.decoder(), s.normalised())));
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        try (figures) {
            live.close();
            if (follower != null) follower.close();
        }
    }
}
