package dev.aenstream.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeState;
import dev.aenstream.avro.Topics;
import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.sae.SparseCodes;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Sizes a topic record declares are checked against the bytes it carries before anything is
 * allocated for them: a statistics record claiming a billion features or 2^31 shards, and a state
 * record claiming a billion features, are skipped, and the dashboard reads on. On main the one
 * claiming 2^31 shards made the feed allocate an array of 2^31 references; the OutOfMemoryError
 * killed its thread without a word and the dashboard froze.
 */
class ForgedSizesTest {
    private static final Topics TOPICS = new Topics("t.");
    private long offset;

    @Test
    void recordsDeclaringSizesTheyDoNotCarryAreSkippedAndTheFeedReadsOn() {
        AvroSerde<FeatureStats> stats = new AvroSerde<>(FeatureStats.class);
        AvroSerde<SaeState> states = new AvroSerde<>(SaeState.class);
        try (DashboardFeed feed = new DashboardFeed(KafkaConnection.of("localhost:1"), TOPICS)) {
            FeatureStats wide = window(4);
            wide.setD(1 << 30);
            wide.setActivationHistogram(null);
            FeatureStats shards = window(4);
            shards.setShards(Integer.MAX_VALUE);
            shards.setShard(1);
            SaeState state =
                    SaeState.newBuilder()
                            .setSaeId("s")
                            .setVersion(1)
                            .setD(1 << 30)
                            .setTokens(4)
                            .setDeadPct(0)
                            .setRarePct(0)
                            .setL0(1)
                            .setDensityHistogram(List.of())
                            .setUpdatedAtMs(0)
                            .setShard(0)
                            .setShards(2)
                            .setFeatureStatus(ByteBuffer.wrap(new byte[3]))
                            .build();
            feed.accept(record(TOPICS.featureStats(), stats.toBytes(wide)));
            feed.accept(record(TOPICS.featureStats(), stats.toBytes(shards)));
            feed.accept(record(TOPICS.saeState(), states.toBytes(state)));
            state.setShard(1);
            feed.accept(record(TOPICS.saeState(), states.toBytes(state)));

            feed.accept(record(TOPICS.featureStats(), stats.toBytes(window(4))));
            @SuppressWarnings("unchecked")
            Map<String, Object> sae =
                    (Map<String, Object>)
                            ((Map<String, Object>) feed.snapshot().get("saes")).get("s");
            assertThat(sae.get("tokens_encoded")).isEqualTo(4L);
        }
        assertThat(FeatureAccumulator.misfit(window(4))).isNull();
        FeatureStats shortSums = window(4);
        shortSums.setActivationSums(ByteBuffer.allocate(8));
        assertThat(FeatureAccumulator.misfit(shortSums)).contains("activationSums");
    }

    private ConsumerRecord<byte[], byte[]> record(String topic, byte[] value) {
        return new ConsumerRecord<>(topic, 0, offset++, null, value);
    }

    /** A window of SAE "s" v1 over 3 features: {@code rows} tokens, feature 0 firing on each. */
    private static FeatureStats window(int rows) {
        FeatureAccumulator acc = new FeatureAccumulator("s", 1, 3, 0);
        int[] offsets = new int[rows + 1];
        int[] idx = new int[rows];
        float[] val = new float[rows];
        int[] active = new int[rows];
        for (int r = 0; r < rows; r++) {
            val[r] = 1f;
            offsets[r + 1] = r + 1;
            active[r] = 1;
        }
        acc.add(new SparseCodes(rows, 3, offsets, idx, val, active));
        return acc.toRecord(1_000);
    }
}
