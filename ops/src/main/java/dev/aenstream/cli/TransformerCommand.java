package dev.aenstream.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.bench.Daemon;
import dev.aenstream.cli.options.DashboardOptions;
import dev.aenstream.cli.options.DeviceOption;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.cli.options.MetricsOptions;
import dev.aenstream.cli.options.ModelTrustOptions;
import dev.aenstream.cli.options.OrtThreadsOption;
import dev.aenstream.cli.options.PublishOptions;
import dev.aenstream.cli.options.RowNormaliseOption;
import dev.aenstream.cli.options.SpliceOptions;
import dev.aenstream.cli.options.TextOptions;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.Pace;
import dev.aenstream.produce.text.TextSource;
import dev.aenstream.produce.transformer.ModelSource;
import dev.aenstream.produce.transformer.Tokeniser;
import dev.aenstream.produce.transformer.TransformerModel;
import dev.aenstream.produce.transformer.TransformerProducer;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aen produce transformer}: a language model's hooked activations, token by token. */
@Command(
        name = "transformer",
        mixinStandardHelpOptions = true,
        description = {
            "Run an ONNX-exported language model over text in ONNX Runtime and publish one"
                + " activation row per text token of the hooked tensor, with its token id and"
                + " character offsets. The graph is rewritten so the hooked tensor is an output;"
                + " inputs input_ids, attention_mask, token_type_ids, position_ids and an empty"
                + " past_key_values cache are fed as the model declares them. Special tokens and"
                + " padding are not published.",
            "",
            "Examples:",
            "  aen produce transformer --model minilm --list-hooks",
            "  aen produce transformer --model minilm --text speeches/ --bootstrap-servers"
                    + " kafka:9092",
            "  aen produce transformer --model gpt2-onnx/ --hook /transformer/h.5/Add_1_output_0"
                    + " --text - < notes.txt"
        })
final class TransformerCommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka;
    @Mixin TextOptions text;
    @Mixin RowNormaliseOption rowNormalise;
    @Mixin MetricsOptions metrics;
    @Mixin DashboardOptions dashboard;

    @Option(
            names = "--model",
            paramLabel = "PATH|minilm",
            required = true,
            description =
                    "The .onnx file, an export directory holding model.onnx and tokenizer.json, or"
                        + " 'minilm' for all-MiniLM-L6-v2 as the langchain4j Maven artifact ships"
                        + " it (no download).")
    String model;

    @Option(
            names = "--list-hooks",
            description =
                    "Print the tensors one can hook, one per line (name, shape, what it is), and"
                            + " exit.")
    boolean listHooks;

    @Option(
            names = "--loop",
            paramLabel = "TIMES",
            description = "Passes over the text; 0 loops until Ctrl-C (default: ${DEFAULT-VALUE}).")
    long loops = 1;

    @Mixin DeviceOption device;

    @Mixin OrtThreadsOption ortThreads;

    @Mixin PublishOptions publish;
    @Mixin SpliceOptions splice;
    @Mixin ModelTrustOptions trust;

    /** The live splice --splice-share asks for, or null. */
    private Splicing splicing(
            ModelProto proto,
            String hook,
            ModelSource source,
            TransformerModel hooked,
            ActivationPublisher publisher,
            KafkaTarget target)
            throws Exception {
        double share = splice.share(0);
        if (share == 0) return null;
        return Splicing.following(
                new Splicing.Plan(
                        proto, hook, source.name(), publisher.producerId(), splice, share),
                hooked.width(),
                trust.trust(),
                target.connection(),
                target.topics(),
                device.device(),
                ortThreads.ortThreads());
    }

    @Override
    public Integer call() throws Exception {
        text.validate();
        if (loops < 0) throw new IllegalArgumentException("--loop must be >= 0, got " + loops);
        ModelSource source = text.model(model);
        ModelProto proto = ModelProto.parseFrom(source.model());
        if (listHooks) {
            for (TransformerModel.Hook h : TransformerModel.listHooks(proto, device.device()))
                System.out.println(h.line());
            return 0;
        }
        String hook = text.hook(source);
        AtomicBoolean stop = new AtomicBoolean();
        StopSignals.onStop(() -> stop.set(true));
        try (AutoCloseable endpoint = metrics.start(dashboard);
                TransformerModel hooked =
                        TransformerModel.open(
                                proto, List.of(hook), device.device(), ortThreads.ortThreads());
                Tokeniser tokeniser = text.tokeniser(source);
                KafkaTarget target = KafkaTarget.open(kafka);
                AutoCloseable web = dashboard.start(target.connection(), target.topics());
                ActivationPublisher publisher =
                        new ActivationPublisher(
                                target.connection(),
                                publish.config(
                                                target.topics().activations(),
                                                source.name(),
                                                hook,
                                                source.name())
                                        .withNormalisation(
                                                rowNormalise.normalise
                                                        ? Normalisation.UNIT_SQRT_N
                                                        : Normalisation.NONE));
                Splicing splicing = splicing(proto, hook, source, hooked, publisher, target)) {
            TransformerProducer producer =
                    new TransformerProducer(
                            hooked,
                            hook,
                            tokeniser,
                            publisher,
                            text.batch,
                            new Pace(publish.rate)::await);
            if (splicing != null) producer.observedBy(splicing.observer());
            ScheduledExecutorService progress =
                    Executors.newSingleThreadScheduledExecutor(Daemon.threads("aen-progress"));
            long start = System.nanoTime();
            progress.scheduleAtFixedRate(
                    () ->
                            System.out.printf(
                                    "%,d documents, %,d tokens (%,.0f tokens/s)%n",
                                    producer.documents(),
                                    producer.tokens(),
                                    producer.tokens() / ((System.nanoTime() - start) / 1e9)),
                    2,
                    2,
                    TimeUnit.SECONDS);
            io.micrometer.core.instrument.Metrics.gauge(
                    "aen.produce.rows", producer, TransformerProducer::tokens);
            for (long pass = 0; (loops == 0 || pass < loops) && !stop.get(); pass++) {
                producer.run(TextSource.open(text.text), stop::get);
            }
            progress.shutdownNow();
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(
                    "published %,d tokens of %s at %s (n=%d) from %,d documents to %s in %.1f s"
                            + " (%,.0f tokens/s), producer id %s%n",
                    producer.tokens(),
                    source.name(),
                    hook,
                    producer.width(),
                    producer.documents(),
                    target.topics().activations(),
                    seconds,
                    producer.tokens() / seconds,
                    publisher.producerId());
        }
        return 0;
    }
}
