package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/training.md's table of settings is the one the declarations make. */
class SettingsReferenceTest {
    private static final String BEGIN = "<!-- settings:begin -->\n";
    private static final String END = "<!-- settings:end -->";

    @Test
    void theDocsTableIsTheDeclarations() throws Exception {
        Path docs = Path.of("..", "docs", "training.md");
        String text = Files.readString(docs);
        int from = text.indexOf(BEGIN);
        int to = text.indexOf(END);
        assertThat(from).as("docs/training.md marks its settings table").isNotNegative();
        String table = text.substring(from + BEGIN.length(), to);
        assertThat(table)
                .as(
                        "docs/training.md's settings table; paste TrainConfig.referenceTable()"
                                + " between the markers:%n%s",
                        TrainConfig.referenceTable())
                .isEqualTo(TrainConfig.referenceTable());
    }
}
