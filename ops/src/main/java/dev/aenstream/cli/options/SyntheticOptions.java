package dev.aenstream.cli.options;

import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.sae.setting.Setting;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Flags of docs/aen-sae.md's spiked synthetic generator: one for each setting {@link
 * SpikedConfig#ALL} declares.
 */
@Command(modelTransformer = SettingFlags.class)
public final class SyntheticOptions implements SettingFlags.Declared {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Override
    public List<Setting<?>> declared() {
        return SpikedConfig.ALL;
    }

    /** The spiked data the flags describe. */
    public SpikedConfig config() {
        SpikedConfig.Builder b = SpikedConfig.builder();
        SettingFlags.given(command, SpikedConfig.ALL).forEach(b::set);
        return b.build();
    }

    /** The width of a row, --n. */
    public int n() {
        return config().get(SpikedConfig.N);
    }
}
