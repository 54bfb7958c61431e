package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SparseCodes;
import org.junit.jupiter.api.Test;

/**
 * A producer restarted with the same --producer-id (as the deployments run it) numbers its batches
 * from 0 again; its records carry an epoch after the id, so a reader that keys batches by producer
 * and sequence keeps both the old and the new batch 0. On main the restarted producer's batch 0 had
 * the same id and sequence as the first one's, and ShardedCodes dropped it as a duplicate.
 */
class RestartedProducerTest {
    @Test
    void aRestartedProducersBatchesAreNotTakenForTheOldOnes() throws Exception {
        PublisherConfig config =
                PublisherConfig.of(Topics.defaults().activations(), "m", "h", "minilm-europarl");
        String first;
        String second;
        try (ActivationPublisher before =
                new ActivationPublisher(KafkaConnection.of("localhost:1"), config)) {
            first = before.producerId();
        }
        Thread.sleep(2);
        try (ActivationPublisher after =
                new ActivationPublisher(KafkaConnection.of("localhost:1"), config)) {
            second = after.producerId();
        }
        assertThat(first).startsWith("minilm-europarl@").isNotEqualTo(second);
        assertThat(ActivationPublisher.publishedAs(second, "minilm-europarl")).isTrue();
        assertThat(ActivationPublisher.publishedAs("minilm-europarl-2@1", "minilm-europarl"))
                .isFalse();

        ShardedCodes reader = new ShardedCodes(2, 16);
        SparseCodes codes =
                new SparseCodes(
                        1, 4, new int[] {0, 1}, new int[] {2}, new float[] {1f}, new int[] {1});
        for (String producer : new String[] {first, second})
            for (var record :
                    CodesRecords.toRecords(
                            codes,
                            "s",
                            1,
                            producer,
                            0,
                            DictionaryShard.WHOLE,
                            dev.aenstream.monitor.RowOrigins.none(),
                            1 << 20))
                assertThat(reader.add(record)).as("batch 0 of %s", producer).isPresent();
    }
}
