package dev.aenstream.online;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The trainer's lag figures against a source whose end the test moves. */
class StreamLagTest {
    private final Map<String, Long> end = new HashMap<>();
    private boolean away;

    private final ActivationSource source =
            new ActivationSource() {
                @Override
                public Polled poll(Duration timeout) {
                    return Polled.NOTHING;
                }

                @Override
                public Map<String, Long> ends() {
                    return away ? null : Map.copyOf(end);
                }

                @Override
                public void seek(Map<String, Long> positions) {}

                @Override
                public void commit(Map<String, Long> positions) {}

                @Override
                public void close() {}
            };

    private StreamLag lag(String policy) {
        return new StreamLag(
                source,
                OnlineTrainerConfig.builder(new Topics("t."))
                        .set(OnlineTrainerConfig.LAG_POLICY, policy)
                        .set(OnlineTrainerConfig.MAX_LAG_RECORDS, 50)
                        .build());
    }

    private static void read(StreamLag lag, int records, long timestampMs) {
        for (int i = 0; i < records; i++)
            lag.read(new ActivationSource.Arrival("a", 0, i, null, new byte[0], timestampMs));
    }

    @Test
    void theShareIsRecordsReadOverRecordsAppendedSinceTheLastFigures() {
        StreamLag lag = lag("every-row");
        end.put("a-0", 100L);
        end.put("a-1", 100L);
        read(lag, 150, 1_000);
        StreamLag.Figures first = lag.measure(Map.of("a-0", 80L, "a-1", 70L), 1_500);
        assertThat(first.records()).isEqualTo(50);
        assertThat(first.streamShare()).as("no earlier figures to compare with").isNull();
        assertThat(first.lagMs()).isEqualTo(500);

        end.put("a-0", 150L);
        end.put("a-1", 150L); // 100 appended, 40 read: the trainer keeps 40% of the stream
        read(lag, 40, 2_000);
        StreamLag.Figures second = lag.measure(Map.of("a-0", 100L, "a-1", 90L), 2_100);
        assertThat(second.streamShare()).isCloseTo(0.4, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(second.records()).isEqualTo(110);
        assertThat(second.lagMs()).isEqualTo(100);

        away = true; // the broker cannot tell: the last lag stands, the share is unknown
        StreamLag.Figures third = lag.measure(Map.of("a-0", 100L, "a-1", 90L), 2_200);
        assertThat(third.records()).isEqualTo(110);
        assertThat(third.streamShare()).isNull();
    }

    @Test
    void skipToLatestJumpsEveryPartitionToItsEndOnlyPastTheLimit() {
        StreamLag lag = lag("skip-to-latest");
        end.put("a-0", 30L);
        end.put("a-1", 60L);
        assertThat(lag.toSkip(Map.of("a-0", 10L, "a-1", 40L), 0))
                .as("40 behind: within 50")
                .isEmpty();
        end.put("a-1", 80L);
        assertThat(lag.toSkip(Map.of("a-0", 10L, "a-1", 40L), 10))
                .as("checked at most every second")
                .isEmpty();
        assertThat(lag.toSkip(Map.of("a-0", 10L, "a-1", 40L), StreamLag.SKIP_CHECK_MS))
                .containsExactlyInAnyOrder(
                        new ActivationSource.Gap("a", 0, 10, 30),
                        new ActivationSource.Gap("a", 1, 40, 80));
    }

    @Test
    void everyRowNeverSkips() {
        StreamLag lag = lag("every-row");
        end.put("a-0", 1_000_000L);
        assertThat(lag.toSkip(Map.of(), 0)).isEqualTo(List.of());
    }
}
