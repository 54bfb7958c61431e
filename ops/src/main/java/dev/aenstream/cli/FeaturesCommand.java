package dev.aenstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.cli.options.ModelTrustOptions;
import dev.aenstream.cli.options.SaeVersionOptions;
import dev.aenstream.dashboard.NeuronpediaExport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The features of the SAEs the encoders serve, as the feature pages show them. */
@Command(
        name = "features",
        mixinStandardHelpOptions = true,
        description = "The features of served SAEs: their top contexts, histograms and densities.",
        subcommands = {FeaturesCommand.Export.class})
final class FeaturesCommand implements Runnable {
    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "give a subcommand: export");
    }

    /** Writes one version's feature pages in Neuronpedia's feature format. */
    @Command(
            name = "export",
            description = {
                "Write the feature pages of an SAE version (the newest unless --version) as a"
                    + " Neuronpedia dashboard batch: per feature its top activating tokens in their"
                    + " text, its activation histogram and how often it fires, read from the"
                    + " feature-contexts, feature-stats and models topics. Logits, neuron alignment"
                    + " and correlations stay empty: aen-stream does not compute them."
            })
    static final class Export implements Callable<Integer> {
        @Mixin KafkaOptions kafka;

        @Mixin SaeVersionOptions sae;

        @Mixin ModelTrustOptions trust;

        @Option(
                names = "--format",
                paramLabel = "neuronpedia",
                description = "The layout (default and only one: ${DEFAULT-VALUE}).")
        String format = "neuronpedia";

        @Option(
                names = "--model-id",
                paramLabel = "MODEL",
                description =
                        "Neuronpedia's model id (default: the source model the version is bound"
                                + " to).")
        String modelId;

        @Option(
                names = "--layer",
                paramLabel = "N",
                description = "Neuronpedia's layer number of the hook (default: ${DEFAULT-VALUE}).")
        int layer = 0;

        @Option(
                names = "--sae-set",
                paramLabel = "NAME",
                description = "Neuronpedia's name of the SAE set (default: the SAE id).")
        String saeSet;

        @Option(
                names = "--out",
                paramLabel = "FILE",
                required = true,
                description = "The JSON file to write.")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (!format.equals("neuronpedia"))
                throw new IllegalArgumentException(
                        "--format " + format + ": the one format is neuronpedia");
            try (KafkaTarget target = KafkaTarget.open(kafka)) {
                Map<String, Object> batch =
                        NeuronpediaExport.read(
                                target.connection(),
                                target.topics(),
                                sae.saeId(),
                                sae.version(),
                                modelId,
                                layer,
                                saeSet == null ? sae.saeId() : saeSet,
                                trust.trust());
                Path parent = out.toAbsolutePath().getParent();
                if (parent != null) Files.createDirectories(parent);
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), batch);
                List<?> features = (List<?>) batch.get("features");
                long withContexts =
                        features.stream()
                                .filter(
                                        f ->
                                                !((List<?>) ((Map<?, ?>) f).get("activations"))
                                                        .isEmpty())
                                .count();
                System.out.printf(
                        "wrote %s: %d features of SAE %s, %d with top activations%n",
                        out, features.size(), sae.saeId(), withContexts);
            }
            return 0;
        }
    }
}
