package dev.aenstream.online;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.testkit.KafkaTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;

/**
 * The activations topic as the loop's source, on a real broker: it tells each partition's end, and
 * a seek (the skip-to-latest policy's jump) moves only the partitions it names.
 */
class KafkaActivationSourceIT {
    private static final String TOPIC = "source.activations";

    @Test
    void itTellsTheEndsAndSeeksOnlyThePartitionsNamed() throws Exception {
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1))).all().get();
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(
                            KafkaConnection.of(cluster.bootstrapServers()).client(),
                            new ByteArraySerializer(),
                            new ByteArraySerializer())) {
                for (int p = 0; p < 2; p++)
                    for (int i = 0; i < 10; i++)
                        producer.send(new ProducerRecord<>(TOPIC, p, null, new byte[] {(byte) i}));
            }
            try (KafkaActivationSource source =
                    new KafkaActivationSource(
                            KafkaConnection.of(cluster.bootstrapServers()),
                            TOPIC,
                            "source-it",
                            Map.of())) {
                assertThat(source.ends()).isEqualTo(Map.of(TOPIC + "-0", 10L, TOPIC + "-1", 10L));
                source.seek(Map.of(TOPIC + "-0", 7L));
                List<ActivationSource.Arrival> read = new ArrayList<>();
                long until = System.currentTimeMillis() + 30_000;
                while (read.size() < 13 && System.currentTimeMillis() < until)
                    read.addAll(source.poll(Duration.ofMillis(200)).records());
                assertThat(read)
                        .filteredOn(a -> a.partition() == 0)
                        .extracting(ActivationSource.Arrival::offset)
                        .containsExactly(7L, 8L, 9L);
                assertThat(read).filteredOn(a -> a.partition() == 1).hasSize(10);
            }
        }
    }
}
