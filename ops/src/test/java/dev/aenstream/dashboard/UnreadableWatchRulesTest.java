package dev.aenstream.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.WatchCondition;
import dev.aenstream.avro.WatchRule;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * The dashboard reads the watch-rules topic as the encoders do: a record that is no rule, or a rule
 * that does not hold together, is not shown, is counted as skipped, and the feed reads on. On main
 * the bytes that are no rule threw out of the feed's poll loop: the rest of that poll was lost, and
 * the log said Kafka could not be reached.
 */
class UnreadableWatchRulesTest {
    private static final Topics TOPICS = new Topics("t.");
    private static final AvroSerde<WatchRule> RULES = new AvroSerde<>(WatchRule.class);
    private long offset;

    @Test
    void recordsThatAreNoRuleAreNotShownAndTheFeedReadsOn() {
        try (DashboardFeed feed = new DashboardFeed(KafkaConnection.of("localhost:1"), TOPICS)) {
            feed.accept(record("kept", RULES.toBytes(rule("kept", 5))));
            feed.accept(record("replaced", RULES.toBytes(rule("replaced", 6))));
            // The topic's last word on "replaced" is no rule: no encoder applies it any more.
            feed.accept(record("replaced", new byte[] {1, 2, 3}));
            feed.accept(record("negative", RULES.toBytes(rule("negative", -4))));
            feed.accept(record("after", RULES.toBytes(rule("after", 7))));

            List<Object> shown = new ArrayList<>();
            for (Object r : (List<?>) feed.watch().get("rules"))
                shown.add(((Map<?, ?>) r).get("id"));
            assertThat(shown).containsExactly("after", "kept");
            assertThat(feed.snapshot().get("records_skipped")).isEqualTo(2L);
        }
    }

    private static WatchRule rule(String id, int feature) {
        return WatchRule.newBuilder()
                .setRuleId(id)
                .setSaeId("s")
                .setFeature(feature)
                .setVersion(1)
                .setLabel("")
                .setCondition(WatchCondition.ACTIVATION_ABOVE)
                .setThreshold(2)
                .build();
    }

    private ConsumerRecord<byte[], byte[]> record(String key, byte[] value) {
        return new ConsumerRecord<>(
                TOPICS.watchRules(), 0, offset++, key.getBytes(StandardCharsets.UTF_8), value);
    }
}
