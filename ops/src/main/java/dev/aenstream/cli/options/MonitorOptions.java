package dev.aenstream.cli.options;

import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.sae.setting.Setting;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Statistics and starvation-monitor settings of the encode application: a flag for each setting
 * {@link MonitorConfig#ALL} declares.
 */
@Command(modelTransformer = SettingFlags.class)
public final class MonitorOptions implements SettingFlags.Declared {
    @Option(
            names = "--no-stats",
            description = "Encode only: no per-feature statistics, no starvation monitor.")
    boolean noStats;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Override
    public List<Setting<?>> declared() {
        return MonitorConfig.ALL;
    }

    /** The monitor settings, or null with --no-stats. */
    public MonitorConfig config() {
        return noStats ? null : settings();
    }

    /** The monitor settings given, whether or not --no-stats was. */
    public MonitorConfig settings() {
        MonitorConfig.Builder b = MonitorConfig.builder();
        SettingFlags.given(command, MonitorConfig.ALL).forEach(b::set);
        return b.build();
    }

    /** Whether --no-stats was given. */
    public boolean statsOff() {
        return noStats;
    }
}
