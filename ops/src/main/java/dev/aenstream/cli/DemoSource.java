package dev.aenstream.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.cli.options.TextOptions;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.Pace;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.produce.synthetic.SyntheticFeed;
import dev.aenstream.produce.text.Document;
import dev.aenstream.produce.text.TextSource;
import dev.aenstream.produce.transformer.ModelSource;
import dev.aenstream.produce.transformer.Tokeniser;
import dev.aenstream.produce.transformer.TransformerModel;
import dev.aenstream.produce.transformer.TransformerProducer;
import dev.aenstream.sae.runtime.Device;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * What the demo puts on the activations topic: the spiked generator, or a language model reading
 * text.
 */
interface DemoSource extends AutoCloseable {
    /** Width of one activation row. */
    int n();

    String sourceModel();

    String hookPoint();

    /**
     * Whether rows are language-model activations, rescaled to norm sqrt(n) as docs/aen-sae.md
     * asks.
     */
    Normalisation normalisation();

    /** Publishes until {@code stop}; returns the rows published. */
    long run(ActivationPublisher publisher, double rowsPerSecond, BooleanSupplier stop)
            throws Exception;

    /** The language model the rows come from, or null for synthetic rows (nothing to splice). */
    default ModelProto model() {
        return null;
    }

    /** Shows every published batch of the model to {@code observer} (the live splice). */
    default void observe(TransformerProducer.BatchObserver observer) {}

    /** A line on what is being read now, for the console; empty when there is nothing to tell. */
    default String now() {
        return "";
    }

    @Override
    default void close() throws Exception {}

    static DemoSource synthetic(SpikedConfig config) {
        return new DemoSource() {
            @Override
            public int n() {
                return config.get(SpikedConfig.N);
            }

            @Override
            public String sourceModel() {
                return "synthetic-spiked";
            }

            @Override
            public String hookPoint() {
                return "rho=" + config.get(SpikedConfig.RHO);
            }

            @Override
            public Normalisation normalisation() {
                return Normalisation.NONE;
            }

            @Override
            public long run(
                    ActivationPublisher publisher, double rowsPerSecond, BooleanSupplier stop)
                    throws InterruptedException {
                return new SyntheticFeed(new SpikedGenerator(config), publisher, rowsPerSecond)
                        .run(0, stop);
            }
        };
    }

    /** A language model over text, looping over the text until stopped. */
    static DemoSource transformer(
            String model, TextOptions text, boolean normalise, Device device, int threads)
            throws Exception {
        text.validate();
        ModelSource source = text.model(model);
        String hook = text.hook(source);
        ModelProto proto = ModelProto.parseFrom(source.model());
        TransformerModel hooked = TransformerModel.open(proto, List.of(hook), device, threads);
        Tokeniser tokeniser = text.tokeniser(source);
        int n = hooked.width();
        return new DemoSource() {
            private volatile TransformerProducer producer;
            private volatile TransformerProducer.BatchObserver observer = batch -> {};

            @Override
            public ModelProto model() {
                return proto;
            }

            @Override
            public void observe(TransformerProducer.BatchObserver observer) {
                this.observer = observer;
            }

            @Override
            public int n() {
                return n;
            }

            @Override
            public String sourceModel() {
                return source.name();
            }

            @Override
            public String hookPoint() {
                return hook;
            }

            @Override
            public Normalisation normalisation() {
                return normalise ? Normalisation.UNIT_SQRT_N : Normalisation.NONE;
            }

            @Override
            public long run(
                    ActivationPublisher publisher, double rowsPerSecond, BooleanSupplier stop)
                    throws Exception {
                producer =
                        new TransformerProducer(
                                        hooked,
                                        hook,
                                        tokeniser,
                                        publisher,
                                        text.batch,
                                        new Pace(rowsPerSecond)::await)
                                .observedBy(observer);
                while (!stop.getAsBoolean()) producer.run(TextSource.open(text.text), stop);
                return producer.tokens();
            }

            @Override
            public String now() {
                Document d = producer == null ? null : producer.currentDocument();
                if (d == null) return "";
                String snippet = d.text().replaceAll("\\s+", " ").strip();
                return "reading "
                        + d.name()
                        + ": \""
                        + (snippet.length() > 90
                                ? snippet.substring(0, 90) + "...\""
                                : snippet + "\"");
            }

            @Override
            public void close() throws Exception {
                try (tokeniser;
                        hooked) {
                    // both closed
                }
            }
        };
    }
}
