package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code aen experiment text} on MiniLM over a little of the bundled text: three architectures on
 * the same rows, each run's figures, the held-out L0 against the splice's own count of the same
 * codes, and a rerun that trains nothing twice.
 */
class TextExperimentIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    private int run(Path summary, String... extra) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "experiment",
                                "text",
                                "--archs",
                                "aen,topk,auxk",
                                "--expansion",
                                "2",
                                "--target-l0",
                                "8",
                                "--steps",
                                "60",
                                "--train-batch",
                                "256",
                                "--train-tokens",
                                "6000",
                                "--held-out-tokens",
                                "800",
                                "--threads",
                                "1",
                                "--out",
                                dir.resolve("text").toString(),
                                "--summary-json",
                                summary.toString()));
        args.addAll(List.of(extra));
        return Aen.commandLine(new String[0]).execute(args.toArray(String[]::new));
    }

    @Test
    void everyArchitectureTrainsOnTheSameRowsAndIsSplicedIn() throws Exception {
        Path summary = dir.resolve("s.json");
        assertThat(run(summary)).isZero();
        JsonNode s = JSON.readTree(summary.toFile());
        assertThat(s.get("runs")).hasSize(3);
        long tokens = s.get("runs").get(0).get("tokens").asLong();
        for (JsonNode r : s.get("runs")) {
            assertThat(r.get("steps").asLong()).isEqualTo(60);
            assertThat(r.get("tokens").asLong()).isEqualTo(tokens).isEqualTo(60 * 256);
            assertThat(r.get("train_rows").asLong()).isBetween(6000L, 6000L);
            assertThat(r.get("dead_window_tokens").asLong()).isEqualTo(60 / 4 * 256);
            assertThat(r.get("dead_pct").asDouble()).isBetween(0.0, 100.0);
            assertThat(r.get("silent_held_out_pct").asDouble()).isBetween(0.0, 100.0);
            assertThat(r.get("fve").asDouble()).isLessThanOrEqualTo(1.0);
            assertThat(r.get("splice_figure").asText()).isEqualTo("embedding_score");
            assertThat(Double.isFinite(r.get("splice_score").asDouble())).isTrue();
            // The splice encodes the raw rows (its graph normalises them) over the held-out
            // sequences' tokens, a few more than the held-out rows: the same codes, counted apart.
            assertThat(r.get("splice").get("l0").asDouble())
                    .isCloseTo(r.get("l0").asDouble(), within(0.15 * r.get("l0").asDouble() + 0.5));
            assertThat(r.get("trajectory").size()).isPositive();
        }
        JsonNode topk = s.get("runs").get(1);
        assertThat(topk.get("arch").asText()).isEqualTo("topk");
        assertThat(topk.get("k").asInt()).isEqualTo(8);
        assertThat(topk.get("l0").asDouble()).isLessThanOrEqualTo(8.0);
        assertThat(s.get("runs").get(0).has("lambda1")).isTrue();

        String report = Files.readString(dir.resolve("text").resolve("report.md"));
        assertThat(report)
                .contains("aen experiment text --archs aen,topk,auxk")
                .contains("| auxk |");

        // Run again: every run is in the store, nothing trains and the report is the same runs.
        assertThat(run(summary)).isZero();
        assertThat(Files.readAllLines(dir.resolve("text").resolve("runs.jsonl"))).hasSize(3);
    }

    @Test
    void refusesSettingsThatCannotWork() {
        assertThat(run(dir.resolve("x.json"), "--steps", "3")).isNotZero();
        assertThat(run(dir.resolve("y.json"), "--train-tokens", "100")).isNotZero();
    }
}
