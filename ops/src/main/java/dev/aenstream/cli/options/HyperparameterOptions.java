package dev.aenstream.cli.options;

import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The training settings of docs/aen-sae.md as flags: one per {@link Setting} in {@link
 * TrainConfig#ALL} that has a flag, with its declared type, doc and defaults, so a setting is
 * declared once for the record, the command line and the properties file. Unset ones take the
 * defaults of the profile (synthetic or language model).
 */
@Command(modelTransformer = HyperparameterOptions.Flags.class)
public final class HyperparameterOptions {
    @Option(
            names = "--arch",
            paramLabel = "ARCH",
            description = "The penalty (default: ${DEFAULT-VALUE}).")
    String arch = Penalties.AEN.label();

    @Mixin DSaeOption dSae;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** Adds an option for each declared setting with a flag. */
    public static final class Flags implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            // The penalties are listed from their registry, which an annotation cannot read.
            OptionSpec arch = spec.findOption("arch");
            spec.remove(arch);
            spec.addOption(
                    arch.toBuilder()
                            .description(
                                    "The penalty: "
                                            + Penalties.described()
                                            + " (default: ${DEFAULT-VALUE}).")
                            .build());
            for (Setting<?> s : TrainConfig.ALL) {
                if (s.flag() == null) continue;
                spec.addOption(
                        OptionSpec.builder(s.option())
                                .type(s.type())
                                .paramLabel(s.paramLabel())
                                .description(
                                        s.doc() + " (default: " + s.defaults().describe() + ").")
                                .build());
            }
            return spec;
        }
    }

    /** docs/aen-sae.md's synthetic defaults with the given flags applied. */
    public TrainConfig synthetic(int n) {
        return apply(TrainConfig.synthetic(Penalties.parse(arch), n, dSae.dSae()));
    }

    /** docs/aen-sae.md's language-model defaults with the given flags applied. */
    public TrainConfig languageModel(int n) {
        return apply(TrainConfig.languageModel(Penalties.parse(arch), n, dSae.dSae()));
    }

    private TrainConfig apply(TrainConfig c) {
        TrainConfig.Builder b = c.toBuilder();
        for (Setting<?> s : TrainConfig.ALL) {
            if (s.flag() == null) continue;
            Number value = command.findOption(s.flag()).getValue();
            if (value != null) b.set(s, value);
        }
        return b.build();
    }
}
