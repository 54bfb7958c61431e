package dev.aenstream.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo as a user runs it, on the embedded broker, checked through its JSON summary. */
class DemoCommandTest {
    @TempDir Path dir;

    @Test
    void aShortDemoEncodesEveryProducedRowAndSaysWhatItServed() throws Exception {
        Path summary = dir.resolve("summary.json");
        int code = Aen.commandLine(new String[0]).execute("demo", "--duration", "6", "--rate", "5000", "--d-sae", "256",
                "--summary-json", summary.toString());
        assertThat(code).isZero();
        JsonNode json = new ObjectMapper().readTree(summary.toFile());
        assertThat(json.get("tokens_encoded").asLong()).isPositive().isEqualTo(json.get("rows_produced").asLong());
        assertThat(json.get("mean_l0").asDouble()).isPositive();
        assertThat(json.get("device").asText()).isIn("cpu", "cuda");
        assertThat(json.get("dead_letters").asLong()).isZero();
        JsonNode sae = json.get("saes").get(0);
        assertThat(sae.get("sae_id").asText()).isEqualTo("aen");
        assertThat(sae.get("version").asLong()).isEqualTo(1);
        assertThat(sae.get("trained").asBoolean()).isFalse();
    }
}
