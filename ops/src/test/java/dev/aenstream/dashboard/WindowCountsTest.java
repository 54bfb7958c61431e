package dev.aenstream.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.sae.SparseCodes;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * The statistics topic carries every update of a window (the windowed merge emits each one, each
 * holding the window so far): the dashboard counts each window once, at its latest record, so its
 * counts equal what was encoded.
 */
class WindowCountsTest {
    private static final Topics TOPICS = new Topics("t.");
    private final AvroSerde<FeatureStats> serde = new AvroSerde<>(FeatureStats.class);
    private long offset;

    @Test
    void aWindowUpdatedAsItGrowsCountsOnceAtItsLatest() {
        try (DashboardFeed feed = new DashboardFeed(KafkaConnection.of("localhost:1"), TOPICS)) {
            // Window 1 is emitted at 4 tokens, again at 8 (feature 0 firing on each), then window
            // 2 with 4 tokens in which only feature 1 fires: 12 tokens were encoded.
            feed.accept(record(window(1_000, 4, 0)));
            feed.accept(record(window(1_000, 8, 0)));
            feed.accept(record(window(2_000, 4, 1)));
            Map<String, Object> sae = sae(feed);
            assertThat(sae.get("tokens_encoded")).isEqualTo(12L);
            @SuppressWarnings("unchecked")
            Map<String, Double[]> encoding = (Map<String, Double[]>) sae.get("encoding");
            assertThat(encoding.get("x")).containsExactly(1.0, 2.0);
            assertThat(encoding.get("tokens")).containsExactly(8.0, 12.0);

            @SuppressWarnings("unchecked")
            List<Map<String, Object>> density =
                    (List<Map<String, Object>>) feed.feature("s", 0).get("density");
            assertThat(density).extracting(p -> p.get("tokens")).containsExactly(8L, 4L);
            assertThat(density).extracting(p -> p.get("density")).containsExactly(1.0, 0.0);

            // A late update of window 1 (its last part, after window 2) still replaces it.
            feed.accept(record(window(1_000, 10, 0)));
            assertThat(sae(feed).get("tokens_encoded")).isEqualTo(14L);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> after =
                    (List<Map<String, Object>>) feed.feature("s", 0).get("density");
            assertThat(after).extracting(p -> p.get("tokens")).containsExactly(10L, 4L);
            // The running total at window 1 and after it grew by the 2 tokens.
            @SuppressWarnings("unchecked")
            Map<String, Double[]> later = (Map<String, Double[]>) sae(feed).get("encoding");
            assertThat(later.get("tokens")).containsExactly(10.0, 14.0);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> sae(DashboardFeed feed) {
        return (Map<String, Object>) ((Map<String, Object>) feed.snapshot().get("saes")).get("s");
    }

    private ConsumerRecord<byte[], byte[]> record(FeatureStats s) {
        return new ConsumerRecord<>(TOPICS.featureStats(), 0, offset++, null, serde.toBytes(s));
    }

    /**
     * A window of SAE "s" v1 ending at {@code endMs}: {@code rows} tokens, {@code firing} on each.
     */
    private static FeatureStats window(long endMs, int rows, int firing) {
        FeatureAccumulator acc = new FeatureAccumulator("s", 1, 3, endMs - 1_000);
        int[] offsets = new int[rows + 1];
        int[] idx = new int[rows];
        float[] val = new float[rows];
        int[] active = new int[rows];
        for (int r = 0; r < rows; r++) {
            idx[r] = firing;
            val[r] = 1f;
            offsets[r + 1] = r + 1;
            active[r] = 1;
        }
        acc.add(new SparseCodes(rows, 3, offsets, idx, val, active));
        return acc.toRecord(endMs);
    }
}
