package dev.aenstream.cli.options;

import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.train.TrainConfig;
import java.util.List;
import picocli.CommandLine.Command;
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
@Command(modelTransformer = SettingFlags.class)
public final class HyperparameterOptions implements SettingFlags.Declared {
    @Option(
            names = "--arch",
            paramLabel = "ARCH",
            description = "The penalty (default: ${DEFAULT-VALUE}).")
    String arch = Penalties.AEN.label();

    @Mixin DSaeOption dSae;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Override
    public List<Setting<?>> declared() {
        return TrainConfig.ALL;
    }

    @Override
    public void adjust(CommandSpec spec) {
        // The penalties are listed from their registry, which an annotation cannot read.
        OptionSpec arch = spec.findOption("arch");
        if (arch == null || arch.description()[0].startsWith("The penalty: ")) return;
        spec.remove(arch);
        spec.addOption(
                arch.toBuilder()
                        .description(
                                "The penalty: "
                                        + Penalties.described()
                                        + " (default: ${DEFAULT-VALUE}).")
                        .build());
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
        SettingFlags.given(command, TrainConfig.ALL).forEach((s, v) -> b.set(s, (Number) v));
        return b.build();
    }
}
