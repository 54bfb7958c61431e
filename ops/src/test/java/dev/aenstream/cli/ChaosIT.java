package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded chaos soak, secured (SASL_SSL, ACLs, a principal per component) and signed (with a
 * forged version published mid-run): a SIGKILL of each kind (an encoder, the trainer, the active
 * controller), then a slow link, a reset of every connection and a partition of a broker through
 * the proxies every client and replica goes through, with a producer whose clock runs fast now and
 * then; and nothing lost, duplicated or wrong, by the soak's own reading of what reached Kafka:
 * counts, every code's value, the statistics against the codes, the alerts. Each fault waits for
 * recovery (up to 35 s here), so the count bounds CI's time; {@code aen chaos} runs the long soak
 * with as many faults as it is given time for (docs/operations.md).
 */
class ChaosIT {
    /**
     * Encoder, trainer and broker kills, then slow link, reset and partition in turn: every kind of
     * fault, the first broker killed the controller.
     */
    private static final int FAULTS = 6;

    @TempDir Path dir;

    @Test
    void aKillOfEveryKindAndNothingLostOrDuplicated() throws Exception {
        Path summary = dir.resolve("chaos.json");
        int exit =
                Aen.commandLine(new String[0])
                        .execute(
                                "chaos",
                                "--secure",
                                "--signed",
                                // Faults stop once the duration has passed and the minimum is in:
                                // a short duration makes the minimum the count.
                                "--duration",
                                "20",
                                "--min-faults",
                                Integer.toString(FAULTS),
                                "--min-gap",
                                "1",
                                "--max-gap",
                                "4",
                                "--seed",
                                "7",
                                "--work-dir",
                                dir.resolve("work").toString(),
                                "--summary-json",
                                summary.toString());
        JsonNode s = new ObjectMapper().readTree(summary.toFile());
        assertThat(s.get("faults_injected").asInt()).isGreaterThanOrEqualTo(FAULTS);
        assertThat(s.get("faults").toString())
                .contains("the active controller")
                .contains("trainer")
                .contains("encoder")
                .contains("slow link to broker-")
                .contains("reset of every connection to broker-")
                .contains("partition of broker-");
        assertThat(s.get("proxy_connections").asLong()).isPositive();
        assertThat(s.get("faults_not_recovered").asLong()).isZero();
        assertThat(s.get("batches_produced").asLong()).isPositive();
        for (String zero :
                new String[] {
                    "codes_missing",
                    "codes_duplicated",
                    "rows_trained_missing",
                    "rows_trained_duplicated",
                    "versions_non_monotonic",
                    "versions_served_untrusted",
                    "dead_letters",
                    "code_rows_wrong",
                    "stats_tokens_unaccounted",
                    "stats_fires_mismatched",
                    "alerts_repeated",
                    "alerts_rows_lost"
                }) assertThat(s.get(zero).asLong()).as(s.toPrettyString()).isZero();
        assertThat(s.get("secure").asBoolean()).isTrue();
        assertThat(s.get("code_rows_checked").asLong())
                .as("every row's codes of both SAEs recomputed")
                .isEqualTo(2 * s.get("rows_produced").asLong());
        assertThat(s.get("stats_tokens_counted").asLong() + s.get("stats_tokens_late").asLong())
                .isEqualTo(2 * s.get("rows_produced").asLong());
        assertThat(s.get("forged_version_served").asBoolean()).isFalse();
        assertThat(s.get("forged_version_alerted").asBoolean())
                .as("the forged version's refusal reached the alerts topic")
                .isTrue();
        assertThat(s.get("row_checksum_match").asBoolean()).isTrue();
        assertThat(s.get("rows_read").asLong()).isEqualTo(s.get("rows_produced").asLong());
        assertThat(exit).isZero();
    }
}
