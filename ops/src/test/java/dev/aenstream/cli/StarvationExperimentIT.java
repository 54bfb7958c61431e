package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * {@code aen experiment starvation} on a small grid: two shards trained apart and merged, a rerun
 * that trains nothing twice, the summary's contract, and the report opened in Chromium with a
 * screenshot kept in target/experiment-report.png.
 */
class StarvationExperimentIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final int EVAL_ROWS = 64;

    @TempDir Path dir;

    private static int run(Path out, String... extra) {
        return grid(out, "l1,topk,ghost", "0,0.9", extra);
    }

    private static int grid(Path out, String archs, String rhos, String... extra) {
        return grid(120, out, archs, rhos, extra);
    }

    private static int grid(int steps, Path out, String archs, String rhos, String... extra) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "experiment",
                                "starvation",
                                "--steps",
                                Integer.toString(steps),
                                "--rho",
                                rhos,
                                "--archs",
                                archs,
                                "--jobs",
                                "1",
                                // The figures' plumbing is under test, not their precision: a
                                // quarter of the geometry's rows keeps the evaluation short.
                                "--eval-rows",
                                Integer.toString(EVAL_ROWS),
                                "--out",
                                out.toString()));
        args.addAll(List.of(extra));
        return Aen.commandLine(new String[0]).execute(args.toArray(String[]::new));
    }

    @Test
    void shardsMergeAndTheReportOpens() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        assertThat(run(a, "--shard", "1/2")).isZero();
        assertThat(run(b, "--shard", "2/2")).isZero();
        assertThat(Files.readAllLines(a.resolve("runs.jsonl"))).hasSize(3);
        assertThat(Files.readAllLines(b.resolve("runs.jsonl"))).hasSize(3);

        Path summary = dir.resolve("e.json");
        assertThat(run(a, "--merge", b.toString(), "--summary-json", summary.toString())).isZero();
        // Nothing was left to train: the merged store holds every run of the grid once.
        assertThat(Files.readAllLines(a.resolve("runs.jsonl"))).hasSize(6);

        JsonNode e = JSON.readTree(summary.toFile());
        assertThat(e.get("target_l0").asDouble()).isEqualTo(16);
        assertThat(Path.of(e.get("report").asText())).exists();
        // Three figures against rho, and per rho dead%, L0 and lambda1 over training: SVG and PNG.
        assertThat(e.get("figures")).hasSize(18);
        for (JsonNode f : e.get("figures")) assertThat(Path.of(f.asText())).exists();
        assertThat(e.get("runs")).hasSize(6);
        for (JsonNode r : e.get("runs")) {
            for (String field :
                    List.of("arch", "rho", "seed", "l0", "fve", "dead_pct", "shrinkage"))
                assertThat(r.has(field)).as(field).isTrue();
            assertThat(r.get("eval_rows").asInt()).isEqualTo(EVAL_ROWS);
            // Its figures over the run, the last point at the last step.
            JsonNode trajectory = r.get("trajectory");
            assertThat(trajectory).hasSize(60); // 120 steps: a point every 120 / 50 = 2
            assertThat(trajectory.get(trajectory.size() - 1).get("step").asLong()).isEqualTo(120);
            for (String field : List.of("l0", "fve", "dead_pct", "lambda1"))
                assertThat(trajectory.get(0).has(field)).as(field).isTrue();
            assertThat(trajectory.get(0).get("lambda1").isNull())
                    .as("lambda1 of %s", r.get("arch"))
                    .isEqualTo(r.get("arch").asText().equals("topk"));
            if (r.get("arch").asText().equals("topk")) assertThat(r.get("k").asInt()).isEqualTo(16);
            else assertThat(r.get("lambda1").asDouble()).isPositive();
        }
        assertThat(Files.readString(a.resolve("runs.csv")).lines()).hasSize(7);
        assertThat(Files.readString(a.resolve("dead_pct.svg"))).contains("<svg");

        ChromeDriver browser = HeadlessChromium.open(1400, 1600);
        try {
            browser.get(a.resolve("report.html").toUri().toString());
            assertThat(browser.getTitle()).isEqualTo("Feature starvation on spiked data");
            assertThat(browser.findElements(By.cssSelector("svg"))).hasSize(9);
            assertThat(
                            browser.findElements(
                                    By.xpath("//h2[text()='Every run']/following::table[1]//tr")))
                    .as("a header and a row per run")
                    .hasSize(7);
            Path shot = Path.of("target", "experiment-report.png");
            Files.createDirectories(shot.getParent());
            Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            assertThat(Files.size(shot)).isGreaterThan(10_000);
        } finally {
            browser.quit();
        }
    }

    @Test
    void threadsBelowOneAreRefusedBeforeAnyTraining() {
        Path out = dir.resolve("t");
        assertThat(grid(out, "topk", "0", "--threads", "0")).isNotZero();
        assertThat(out.resolve("runs.jsonl")).doesNotExist();
    }

    @Test
    void aRerunResumesWithoutTrainingFinishedRunsAgain() throws Exception {
        Path out = dir.resolve("c");
        assertThat(grid(out, "topk", "0")).isZero();
        String first = Files.readString(out.resolve("runs.jsonl"));
        assertThat(grid(out, "topk", "0")).isZero();
        assertThat(Files.readString(out.resolve("runs.jsonl")))
                .as("the finished run is not trained or recorded again")
                .isEqualTo(first);
        // A line cut short by a kill is skipped, and its run trained again.
        Files.writeString(
                out.resolve("runs.jsonl"),
                "{\"key\": \"quick/l0=16/l1/rho=0/se",
                java.nio.file.StandardOpenOption.APPEND);
        assertThat(grid(out, "topk,l1", "0")).isZero();
        assertThat(Files.readAllLines(out.resolve("runs.jsonl")))
                .filteredOn(l -> l.startsWith("{\"key\":\"quick"))
                .hasSize(2);
    }

    @Test
    void theGridProtocolTriesTheDeclaredGridAndChoosesPerCell() throws Exception {
        Path out = dir.resolve("g");
        Path summary = dir.resolve("g.json");
        assertThat(
                        grid(
                                40,
                                out,
                                "l1,topk",
                                "0.9",
                                "--protocol",
                                "grid",
                                "--summary-json",
                                summary.toString()))
                .isZero();
        JsonNode e = JSON.readTree(summary.toFile());
        assertThat(e.get("protocol").asText()).isEqualTo("grid");
        assertThat(e.get("runs")).as("4 lambda1 of L1, 5 k of TopK").hasSize(9);
        for (JsonNode r : e.get("runs")) {
            String point = r.get("grid_point").asText();
            assertThat(r.get("key").asText()).endsWith("/protocol=grid/" + point);
            // Settings are fixed under this protocol: lambda1 ends where the grid put it.
            if (r.get("arch").asText().equals("l1"))
                assertThat(Double.parseDouble(point.substring("lambda1=".length())))
                        .isEqualTo(r.get("lambda1").asDouble());
            else assertThat(point).isEqualTo("k=" + r.get("k").asText());
        }
        String report = Files.readString(out.resolve("report.html"));
        assertThat(report)
                .contains("The grid protocol's choices")
                .contains("Does AEN &lt; L1 &lt; TopK hold")
                .contains("Over training")
                .contains("dead % over training, rho 0.9")
                .doesNotContain("<script");
        assertThat(out.resolve("trajectory-dead_pct-rho0.9.svg")).exists();
        assertThat(out.resolve("trajectory-lambda1-rho0.9.png")).exists();
    }

    @Test
    void afterWarmupHoldsLambda1UntilTheWarmUpEnds() throws Exception {
        Path out = dir.resolve("w");
        Path summary = dir.resolve("w.json");
        // The quick preset's warm-up is 600 steps: over 120 lambda1 never moves.
        assertThat(
                        grid(
                                out,
                                "l1",
                                "0.9",
                                "--protocol",
                                "after-warmup",
                                "--summary-json",
                                summary.toString()))
                .isZero();
        JsonNode run = JSON.readTree(summary.toFile()).get("runs").get(0);
        assertThat(run.get("key").asText()).endsWith("/protocol=after-warmup");
        for (JsonNode p : run.get("trajectory"))
            assertThat(p.get("lambda1").asDouble()).isEqualTo(0.005);
    }
}
