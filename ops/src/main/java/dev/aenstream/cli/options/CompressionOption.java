package dev.aenstream.cli.options;

import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.sae.setting.Setting;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** --compression, as {@link PublisherConfig#COMPRESSION} declares it. */
@Command(modelTransformer = SettingFlags.class)
public final class CompressionOption implements SettingFlags.Declared {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Override
    public List<Setting<?>> declared() {
        return List.of(PublisherConfig.COMPRESSION);
    }

    /** {@code config} with the compression given. */
    public PublisherConfig apply(PublisherConfig config) {
        return config.with(SettingFlags.given(command, declared()));
    }
}
