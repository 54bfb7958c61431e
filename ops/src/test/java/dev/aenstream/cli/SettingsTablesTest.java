package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.online.OnlineTrainerConfig;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.SettingTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** docs/operations.md's tables of each process's settings are made from their declarations. */
class SettingsTablesTest {
    @Test
    void theDocsTablesAreTheDeclarations() throws Exception {
        String text = Files.readString(Path.of("..", "docs", "operations.md"));
        Map<String, List<Setting<?>>> tables =
                Map.of(
                        "encode", EncodeConfig.ALL,
                        "monitor", MonitorConfig.ALL,
                        "trainer", OnlineTrainerConfig.ALL,
                        "publisher", PublisherConfig.ALL,
                        "spiked", SpikedConfig.ALL);
        tables.forEach(
                (name, settings) -> {
                    String begin = "<!-- settings:" + name + ":begin -->\n";
                    int from = text.indexOf(begin);
                    int to = text.indexOf("<!-- settings:" + name + ":end -->");
                    assertThat(from)
                            .as("docs/operations.md marks its %s table", name)
                            .isNotNegative();
                    String expected = SettingTable.of(settings);
                    assertThat(text.substring(from + begin.length(), to))
                            .as(
                                    "docs/operations.md's %s settings; paste between the"
                                            + " markers:%n%s",
                                    name, expected)
                            .isEqualTo(expected);
                });
    }
}
