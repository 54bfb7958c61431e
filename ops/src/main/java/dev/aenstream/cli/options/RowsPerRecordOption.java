package dev.aenstream.cli.options;

import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.sae.setting.Setting;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** --rows-per-record, as {@link PublisherConfig#ROWS_PER_RECORD} declares it. */
@Command(modelTransformer = SettingFlags.class)
public final class RowsPerRecordOption implements SettingFlags.Declared {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Override
    public List<Setting<?>> declared() {
        return List.of(PublisherConfig.ROWS_PER_RECORD);
    }

    /** The rows per record given, or the default. */
    public int rowsPerRecord() {
        return SettingFlags.value(command, PublisherConfig.ROWS_PER_RECORD);
    }
}
