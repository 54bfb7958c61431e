package dev.aenstream.bench;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.topics.Partitions;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The first limit of {@code aen bench}: raw Kafka with activation records, both ends at once. */
final class KafkaLimit {
    private KafkaLimit() {}

    /**
     * (a) A raw Kafka producer with the publisher's settings and a read_committed consumer, running
     * together.
     */
    static double rowsPerSecond(
            KafkaConnection connection,
            String topic,
            List<byte[]> records,
            int rowsPerRecord,
            String producerId,
            double seconds)
            throws Exception {
        Properties p =
                ActivationPublisher.producerProperties(
                        connection, PublisherConfig.of(topic, "bench", "bench", producerId));
        Properties c = connection.client();
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong consumed = new AtomicLong();
        try (KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(
                                p, new ByteArraySerializer(), new ByteArraySerializer());
                KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(
                                c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            // Both ends ready before the clock starts: positions known, and every partition's
            // leader
            // reachable (a fresh topic's first sends otherwise wait on metadata and retries).
            List<org.apache.kafka.common.TopicPartition> partitions =
                    Partitions.assignAll(consumer, topic);
            consumer.seekToBeginning(partitions);
            partitions.forEach(consumer::position);
            for (org.apache.kafka.common.TopicPartition tp : partitions) {
                producer.send(
                                new ProducerRecord<>(
                                        tp.topic(), tp.partition(), null, records.get(0)))
                        .get();
            }
            Thread reader =
                    new Thread(
                            () -> {
                                while (!stop.get())
                                    consumed.addAndGet(
                                            (long) consumer.poll(Duration.ofMillis(100)).count()
                                                    * rowsPerRecord);
                            },
                            "bench-kafka-reader");
            reader.start();
            Thread writer =
                    new Thread(
                            () -> {
                                java.util.concurrent.Semaphore inFlight =
                                        new java.util.concurrent.Semaphore(
                                                PublisherConfig.MAX_IN_FLIGHT_RECORDS
                                                        .defaultValue());
                                for (long i = 0; !stop.get(); i++) {
                                    try {
                                        inFlight.acquire();
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                    producer.send(
                                            new ProducerRecord<>(
                                                    topic,
                                                    ("bench/" + i).getBytes(),
                                                    records.get((int) (i % records.size()))),
                                            (m, e) -> inFlight.release());
                                }
                            },
                            "bench-kafka-writer");
            writer.start();
            double rate = SettledRate.of(consumed::get, seconds);
            stop.set(true);
            writer.join();
            reader.join();
            return rate;
        }
    }
}
