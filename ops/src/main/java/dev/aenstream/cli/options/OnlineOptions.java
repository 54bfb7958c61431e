package dev.aenstream.cli.options;

import dev.aenstream.avro.Topics;
import dev.aenstream.online.OnlineTrainerConfig;
import dev.aenstream.sae.setting.Setting;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * How the online trainer reads, publishes, checkpoints and alerts: a flag for each setting {@link
 * OnlineTrainerConfig#ALL} declares, and the signing keys, kMax, weights and source binding.
 */
@Command(modelTransformer = SettingFlags.class)
public final class OnlineOptions implements SettingFlags.Declared {
    @Mixin SigningOptions signing;

    @Mixin KMaxOption kMax;

    @Mixin WeightsOption weights;

    @Mixin BindingOptions binding;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Override
    public List<Setting<?>> declared() {
        return OnlineTrainerConfig.ALL;
    }

    /** The value given for {@code setting}, or its default. */
    public <T> T get(Setting<T> setting) {
        return SettingFlags.value(command, setting);
    }

    /** The trainer's configuration, with checkpoints in {@code checkpointDir} (null: none). */
    public OnlineTrainerConfig config(Topics topics, Path checkpointDir) {
        OnlineTrainerConfig.Builder b =
                OnlineTrainerConfig.builder(topics)
                        .checkpointDir(checkpointDir)
                        .kMax(kMax.kMax())
                        .weights(weights.weights())
                        .source(binding.binding())
                        .signingKeys(signing.keys());
        SettingFlags.given(command, OnlineTrainerConfig.ALL).forEach(b::set);
        return b.build();
    }
}
