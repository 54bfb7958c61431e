package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code aen experiment drift}, bounded: at a tight false-alarm setting an unchanged stream of a
 * million rows raises none (its bound allows 0.1), and both planted changes are found, on the
 * features they were planted on, at every setting.
 */
class DriftExperimentTest {
    @TempDir Path dir;

    @Test
    void theTightSettingStaysUnderItsBoundAndThePlantedChangesAreFound() throws Exception {
        Path summary = dir.resolve("drift.json");
        int code =
                Aen.commandLine(new String[0])
                        .execute(
                                "experiment",
                                "drift",
                                "--n",
                                "64",
                                "--atoms",
                                "128",
                                "--k",
                                "4",
                                "--clean-rows",
                                "1000000",
                                "--max-delay-rows",
                                "200000",
                                "--false-alarms-per-million",
                                "0.1,10",
                                "--concept-shares",
                                "0.02",
                                "--rate-factors",
                                "3",
                                "--drift-reference-tokens",
                                "100000",
                                "--summary-json",
                                summary.toString());
        assertThat(code).isZero();
        JsonNode s = new ObjectMapper().readTree(summary.toFile());
        JsonNode clean = s.get("clean");
        assertThat(clean.get("rows_tested").asLong()).isGreaterThanOrEqualTo(1_000_000);
        for (JsonNode setting : clean.get("settings"))
            assertThat(setting.get("false_alarms_per_million").asDouble())
                    .as(
                            "false alarms per million at a bound of %s",
                            setting.get("false_alarms_per_million_bound"))
                    .isLessThanOrEqualTo(setting.get("false_alarms_per_million_bound").asDouble());
        JsonNode concept = s.get("changes").get(0);
        int conceptFeature = s.get("concept_feature").asInt();
        for (JsonNode setting : concept.get("settings")) {
            assertThat(setting.get("detected").asBoolean()).isTrue();
            assertThat(setting.get("delay_rows").asLong()).isLessThanOrEqualTo(50_000);
            assertThat(setting.get("features").get(0).get("feature").asInt())
                    .isEqualTo(conceptFeature);
        }
        JsonNode rate = s.get("changes").get(1);
        // A rate change counts as detected only by an alarm on its own feature, 0.
        for (JsonNode setting : rate.get("settings"))
            assertThat(setting.get("detected").asBoolean()).isTrue();
    }
}
