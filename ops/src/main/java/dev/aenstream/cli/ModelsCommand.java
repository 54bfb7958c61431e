package dev.aenstream.cli;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.cli.options.LayoutOptions;
import dev.aenstream.cli.options.ModelTrustOptions;
import dev.aenstream.cli.options.SaeVersionOptions;
import dev.aenstream.models.ModelAssembler;
import dev.aenstream.models.ModelPull;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.sae.importers.ImportedSae;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The SAE versions on the models topic. */
@Command(
        name = "models",
        mixinStandardHelpOptions = true,
        description = "The SAE versions the trainers publish on the models topic.",
        subcommands = {ModelsCommand.Pull.class})
final class ModelsCommand implements Runnable {
    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "give a subcommand: pull");
    }

    /** Takes one version off the models topic and writes it in a layout other tools read. */
    @Command(
            name = "pull",
            description = {
                "Take a version of an SAE off the models topic (the newest unless --version), its"
                    + " signature checked as an encoder checks it (--trusted-keys), assembled from"
                    + " its chunks and checked against its checksum, and write it as an ONNX"
                    + " encoder (--out FILE, its weights in FILE.data) or in SAELens' or sparsify's"
                    + " layout (--out DIR), which those tools and aen's --sae-file read."
            })
    static final class Pull implements Callable<Integer> {
        @Mixin KafkaOptions kafka;

        @Mixin SaeVersionOptions sae;

        @Option(
                names = "--out",
                paramLabel = "FILE|DIR",
                required = true,
                description =
                        "Where to write: the .onnx file, or the directory for saelens and"
                                + " sparsify.")
        Path out;

        @Mixin LayoutOptions layout;

        @Mixin ModelTrustOptions trust;

        @Override
        public Integer call() throws Exception {
            try (KafkaTarget target = KafkaTarget.open(kafka);
                    ModelAssembler assembler = new ModelAssembler()) {
                ModelAssembler.Assembled a =
                        ModelPull.pull(
                                target.connection(),
                                target.topics().models(),
                                sae.saeId(),
                                sae.version(),
                                assembler,
                                trust.trust());
                try {
                    write(a);
                } finally {
                    a.delete();
                }
            }
            return 0;
        }

        /**
         * The SAE of a pulled version, built as the version says (normalisation, k_max), naming the
         * model and hook it was trained on.
         */
        static ImportedSae imported(ModelAssembler.Assembled a) throws Exception {
            SaeModel m = a.model();
            EncoderTensors.Read read = read(a);
            return ImportedSae.of(read, ModelRecords.encoderSpec(m, read), origin(m))
                    .named(m.getSourceModel(), m.getHookPoint());
        }

        private void write(ModelAssembler.Assembled a) throws Exception {
            if (layout.format() != LayoutOptions.Format.onnx) {
                layout.write(imported(a), out);
                return;
            }
            SaeModel m = a.model();
            EncoderTensors.Read read = read(a);
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            EncoderGraph.packaged(read.weights(), ModelRecords.encoderSpec(m, read), "sae_encoder")
                    .writeFiles(out);
            System.out.printf(
                    "wrote %s (and %s.data): %s, n=%d, D=%d, %s weights%n",
                    out, out, origin(m), m.getN(), m.getD(), read.precision().label());
        }

        private static EncoderTensors.Read read(ModelAssembler.Assembled a) throws Exception {
            return EncoderTensors.read(
                    OnnxMl.ModelProto.parseFrom(a.graph()), a.file(), a.weightsStart());
        }

        private static String origin(SaeModel m) {
            return "SAE " + m.getSaeId() + " v" + m.getVersion() + " from the models topic";
        }
    }
}
