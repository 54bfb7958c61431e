package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.WatchCondition;
import dev.aenstream.avro.WatchRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rules and labels files: what they set, and errors that name the entry and the field. */
class WatchRuleFilesTest {
    @TempDir Path dir;

    private Path file(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void aRulesFileSetsEachRuleWithItsDefaults() throws Exception {
        List<WatchRule> rules =
                WatchRuleFiles.rules(
                        file(
                                "rules.json",
                                "[{\"saeId\": \"aen\", \"feature\": 12, \"version\": 4, \"label\":"
                                        + " \"dates\", \"condition\": \"activation_above\","
                                        + " \"threshold\": 1.5, \"maxAlertsPerMinute\": 2},"
                                        + " {\"saeId\": \"aen\", \"feature\": 3, \"condition\":"
                                        + " \"DENSITY_BELOW\", \"threshold\": 0.001,"
                                        + " \"windowTokens\": 50000}]"),
                        7);
        assertThat(rules).hasSize(2);
        WatchRule a = rules.get(0);
        assertThat(a.getRuleId()).isEqualTo("aen:12@v4:activation_above");
        assertThat(a.getCondition()).isEqualTo(WatchCondition.ACTIVATION_ABOVE);
        assertThat(a.getMaxAlertsPerMinute()).isEqualTo(2);
        assertThat(a.getDedupWindowMs()).isEqualTo(600_000);
        assertThat(rules.get(1).getVersion()).as("no version: any").isZero();
        assertThat(rules.get(1).getWindowTokens()).isEqualTo(50_000);
    }

    @Test
    void aBadRuleIsNamedWithItsEntryAndNothingIsSet() throws Exception {
        assertThatThrownBy(
                        () ->
                                WatchRuleFiles.rules(
                                        file(
                                                "bad.json",
                                                "[{\"saeId\": \"aen\", \"feature\": 1},"
                                                        + " {\"saeId\": \"aen\", \"feature\": 2,"
                                                        + " \"condition\": \"activation_above\"}]"),
                                        0))
                .hasMessageContaining("rule 1 of 2: a LABEL rule needs a label");
        assertThatThrownBy(
                        () ->
                                WatchRuleFiles.rules(
                                        file("typo.json", "[{\"saeId\": \"aen\", \"feture\": 2}]"),
                                        0))
                .hasMessageContaining("unknown field 'feture'");
        assertThatThrownBy(
                        () ->
                                WatchRuleFiles.rules(
                                        file(
                                                "cond.json",
                                                "[{\"saeId\": \"aen\", \"feature\": 2, \"label\":"
                                                        + " \"x\", \"condition\": \"above\"}]"),
                                        0))
                .hasMessageContaining("condition must be label, activation_above");
        assertThatThrownBy(
                        () ->
                                WatchRuleFiles.rules(
                                        file(
                                                "kind.json",
                                                "[{\"saeId\": \"aen\", \"feature\": \"two\"}]"),
                                        0))
                .hasMessageContaining("feature must be a whole number");
    }

    @Test
    void labelsComeFromNeuronpediaExplanationsOrCsv() throws Exception {
        List<WatchRule> np =
                WatchRuleFiles.labels(
                        file(
                                "explanations.json",
                                "{\"explanations\": [{\"modelId\": \"gpt2-small\", \"layer\":"
                                        + " \"0-res-jb\", \"index\": \"14057\", \"description\":"
                                        + " \"references to lighthouses\"}]}"),
                        "aen",
                        5,
                        0);
        assertThat(np)
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.getFeature()).isEqualTo(14057);
                            assertThat(r.getVersion()).isEqualTo(5);
                            assertThat(r.getLabel()).isEqualTo("references to lighthouses");
                            assertThat(r.getCondition()).isEqualTo(WatchCondition.LABEL);
                        });
        List<WatchRule> csv =
                WatchRuleFiles.labels(
                        file("labels.csv", "feature,label\n3,\"harbours, quays\"\n8,dates\n"),
                        "aen",
                        0,
                        0);
        assertThat(csv).extracting(WatchRule::getLabel).containsExactly("harbours, quays", "dates");
        assertThatThrownBy(
                        () ->
                                WatchRuleFiles.labels(
                                        file("broken.csv", "3,ok\nx,bad\n"), "aen", 0, 0))
                .hasMessageContaining("line 2");
    }

    @Test
    void watchingAskForARunningClusterRatherThanStartingAThrowawayBroker() {
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = Aen.commandLine(new String[0]);
        cli.setErr(new java.io.PrintWriter(err));
        assertThat(cli.execute("watch", "list")).isNotZero();
        assertThat(err.toString()).contains("give --bootstrap-servers");
    }
}
