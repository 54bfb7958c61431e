package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandIT {
    @TempDir Path dir;

    /** A synthetic shape small enough that a run takes a second. */
    private static final String[] TINY = {
        "--n", "32", "--atoms", "48", "--k", "4", "--d-sae", "64", "--batch", "64"
    };

    private static void run(String... args) {
        assertThat(Aen.commandLine(args).execute(args)).as(String.join(" ", args)).isZero();
    }

    @Test
    void aShortSyntheticRunReportsEveryFigureAndResumesFromItsCheckpoint() throws Exception {
        Path summary = dir.resolve("s.json");
        Path checkpoints = dir.resolve("ck");
        String[] options = {
            "--warmup",
            "20",
            "--ramp",
            "20",
            "--progress-every",
            "50",
            "--eval-rows",
            "256",
            "--checkpoint-dir",
            checkpoints.toString(),
            "--checkpoint-every",
            "40",
            "--device",
            "cpu"
        };
        String[] common = concat(TINY, options);
        run(
                concat(
                        new String[] {
                            "train",
                            "--source",
                            "synthetic",
                            "--arch",
                            "aen",
                            "--steps",
                            "80",
                            "--summary-json",
                            summary.toString()
                        },
                        common));
        JsonNode first = new ObjectMapper().readTree(summary.toFile());
        for (String field :
                new String[] {
                    "steps", "l0", "fve", "dead_pct", "dict_cos", "support_f1", "tokens_per_s"
                }) {
            assertThat(first.has(field)).as(field).isTrue();
        }
        assertThat(first.get("steps").asLong()).isEqualTo(80);
        assertThat(first.get("dict_cos").asDouble()).isBetween(0.0, 1.0);
        assertThat(Files.readString(checkpoints.resolve("aen").resolve("LATEST"))).contains("80");

        run(
                concat(
                        new String[] {
                            "train",
                            "--arch",
                            "aen",
                            "--steps",
                            "120",
                            "--resume",
                            "--summary-json",
                            summary.toString()
                        },
                        common));
        assertThat(new ObjectMapper().readTree(summary.toFile()).get("steps").asLong())
                .isEqualTo(120);
    }

    /** The lambda1 a short run of {@code arch} ends with, asked for L0 2 from lambda1 0.005. */
    private double lambda1After(String arch, int steps, String... extra) throws Exception {
        Path summary = dir.resolve(arch + "-" + steps + "-" + extra.length + ".json");
        String[] args = {
            "train",
            "--arch",
            arch,
            "--steps",
            Integer.toString(steps),
            "--warmup",
            "100",
            "--ramp",
            "20",
            "--lambda1",
            "0.005",
            "--target-l0",
            "2",
            "--eval-rows",
            "64",
            "--device",
            "cpu",
            "--summary-json",
            summary.toString()
        };
        run(concat(concat(args, TINY), extra));
        return new ObjectMapper().readTree(summary.toFile()).get("lambda1").asDouble();
    }

    @Test
    void aTargetL0WaitsForTheEndOfAensWarmUp() throws Exception {
        // AEN's adaptive weights form at T_warm from the warm-up's codes: lambda1 holds until then.
        assertThat(lambda1After("aen", 100)).isEqualTo(0.005);
        // Updates every 50 steps: at 150 and 200 after the warm-up, at 200 only from step 160.
        double afterWarmUp = lambda1After("aen", 210);
        assertThat(afterWarmUp).as("moved after the warm-up").isGreaterThan(0.005);
        assertThat(lambda1After("aen", 210, "--match-from", "160"))
                .as("--match-from later than T_warm wins")
                .isGreaterThan(0.005)
                .isLessThan(afterWarmUp);
        // Other SAEs do not wait.
        assertThat(lambda1After("l1", 100)).isGreaterThan(0.005);
    }

    @Test
    void theBenchmarkReportsItsRatio() throws Exception {
        Path summary = dir.resolve("bench.json");
        run(
                "bench",
                "train",
                "--n",
                "64",
                "--d-sae",
                "256",
                "--batch",
                "128",
                "--steps",
                "2",
                "--warmup-steps",
                "1",
                "--summary-json",
                summary.toString());
        JsonNode json = new ObjectMapper().readTree(summary.toFile());
        assertThat(json.get("train_tokens_per_s").asDouble()).isPositive();
        assertThat(json.get("matmul_only_tokens_per_s").asDouble()).isPositive();
        assertThat(json.get("ratio").asDouble())
                .isCloseTo(
                        json.get("train_tokens_per_s").asDouble()
                                / json.get("matmul_only_tokens_per_s").asDouble(),
                        org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void theSparseOnlyBenchmarkTimesTheSparseStepAgainstTheEncoderProduct() throws Exception {
        Path summary = dir.resolve("sparse.json");
        run(
                "bench",
                "train",
                "--sparse-only",
                "--n",
                "64",
                "--d-sae",
                "256",
                "--batch",
                "128",
                "--l0",
                "8",
                "--steps",
                "2",
                "--warmup-steps",
                "1",
                "--summary-json",
                summary.toString());
        JsonNode json = new ObjectMapper().readTree(summary.toFile());
        assertThat(json.get("sparse_only").asBoolean()).isTrue();
        assertThat(json.has("dense_tokens_per_s")).as("the dense graph was never opened").isFalse();
        assertThat(json.has("train_tokens_per_s")).isFalse();
        assertThat(json.get("sparse_ratio").asDouble())
                .isCloseTo(
                        json.get("sparse_tokens_per_s").asDouble()
                                / json.get("encoder_product_tokens_per_s").asDouble(),
                        org.assertj.core.data.Offset.offset(1e-9));
        assertThat(json.get("timed_l0").asDouble()).isBetween(4.0, 16.0);
    }

    @Test
    void theStatisticsBenchmarkReportsBothRatesAndTheirRatio() throws Exception {
        Path summary = dir.resolve("stats.json");
        run(
                "bench",
                "stats",
                "--shape",
                "32:64",
                "--k-max",
                "16",
                "--rows",
                "4096",
                "--rows-per-record",
                "256",
                "--repeats",
                "1",
                "--summary-json",
                summary.toString());
        JsonNode json = new ObjectMapper().readTree(summary.toFile());
        assertThat(json.get("rows_per_s_stats_off").asDouble()).isPositive();
        assertThat(json.get("rows_per_s_stats_on").asDouble()).isPositive();
        assertThat(json.get("ratio").asDouble())
                .isCloseTo(
                        json.get("rows_per_s_stats_on").asDouble()
                                / json.get("rows_per_s_stats_off").asDouble(),
                        org.assertj.core.data.Offset.offset(1e-9));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
