package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo as a user runs it, on the embedded broker, checked through its JSON summary. */
class DemoCommandIT {
    @TempDir Path dir;

    @Test
    void aShortDemoTrainsBothSaesAndEncodesEveryRowWithTheirPublishedVersions() throws Exception {
        Path summary = dir.resolve("summary.json");
        int code =
                Aen.commandLine(new String[0])
                        .execute(
                                "demo",
                                "--duration",
                                "8",
                                "--rate",
                                "5000",
                                "--d-sae",
                                "256",
                                "--publish-every",
                                "20",
                                // Short windows: several close, each reported once per task.
                                "--stats-window-ms",
                                "2000",
                                "--summary-json",
                                summary.toString());
        assertThat(code).isZero();
        JsonNode json = new ObjectMapper().readTree(summary.toFile());
        assertThat(json.get("tokens_encoded").asLong())
                .isPositive()
                .isEqualTo(json.get("rows_produced").asLong());
        assertThat(json.get("mean_l0").asDouble()).isPositive();
        assertThat(json.get("trained_share").asDouble())
                .as("the share of the rows the trainers learned from")
                .isPositive()
                .isLessThanOrEqualTo(1)
                .isCloseTo(
                        json.get("rows_trained").asDouble() / json.get("rows_produced").asDouble(),
                        org.assertj.core.data.Offset.offset(0.001));
        assertThat(json.get("device").asText()).isIn("cpu", "cuda");
        assertThat(json.get("dead_letters").asLong()).isZero();
        assertThat(json.get("saes")).hasSize(2);
        assertThat(json.get("target_l0").asDouble()).isEqualTo(16);
        for (JsonNode sae : json.get("saes")) {
            assertThat(sae.get("sae_id").asText()).isIn("aen", "topk");
            assertThat(sae.get("arch").asText()).isEqualTo(sae.get("sae_id").asText());
            assertThat(sae.get("steps").asLong()).isPositive();
            assertThat(sae.get("sparse_steps").asLong() + sae.get("dense_steps").asLong())
                    .as("every step ran on one path or the other")
                    .isGreaterThanOrEqualTo(sae.get("steps").asLong());
            assertThat(sae.get("version").asLong())
                    .as("the encoders served a version the trainer published")
                    .isGreaterThanOrEqualTo(2);
            // The dashboard's count of the statistics never exceeds the codes counted on the
            // codes topic: a window reported again is counted once.
            assertThat(sae.get("dashboard_tokens_encoded").asLong())
                    .isPositive()
                    .isLessThanOrEqualTo(sae.get("tokens_encoded").asLong());
            for (String field : new String[] {"l0", "fve", "dead_pct", "alerts", "phi"})
                assertThat(sae.has(field)).as(field).isTrue();
            assertThat(sae.get("shrinkage").asDouble())
                    .as("shrinkage measured on the trainer's rows")
                    .isPositive();
            if (sae.get("arch").asText().equals("topk"))
                assertThat(sae.get("k").asInt())
                        .as("matched sparsity: k = target L0")
                        .isEqualTo(16);
            else assertThat(sae.get("lambda1").asDouble()).isPositive();
        }
    }
}
