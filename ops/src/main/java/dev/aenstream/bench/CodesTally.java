package dev.aenstream.bench;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.topics.Partitions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the codes and dead-letter topics from "now" on, with read_committed, and counts what one
 * producer's rows became: what actually reached Kafka, not what a processor believes it sent.
 */
public final class CodesTally implements AutoCloseable {
    /** What one SAE's codes show so far. */
    public record SaeFigures(long version, long tokens, double meanL0, int d) {}

    private static final class SaeTally {
        long version;
        long tokens;
        long activeSum;
        int d;

        public double meanL0() {
            return tokens == 0 ? 0 : (double) activeSum / tokens;
        }
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Topics topics;
    private final String producerId;
    private final AvroSerde<FeatureCodes> codes = new AvroSerde<>(FeatureCodes.class);
    private final Map<String, SaeTally> saes = new TreeMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private long deadLetters;
    private FeatureCodes first;
    private final Thread thread;

    public CodesTally(KafkaConnection connection, Topics topics, String producerId) {
        this.topics = topics;
        this.producerId = producerId;
        Properties props = connection.client();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions =
                Partitions.assignAll(consumer, topics.codes(), topics.dlq());
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        this.thread = new Thread(this::loop, "aen-codes-tally");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        while (!closed.get()) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                if (record.topic().equals(topics.dlq())) {
                    synchronized (this) {
                        deadLetters++;
                    }
                    continue;
                }
                FeatureCodes c = codes.fromBytes(record.value());
                if (!ActivationPublisher.publishedAs(c.getProducerId().toString(), producerId))
                    continue;
                long active = 0;
                var counts =
                        c.getActiveCounts()
                                .duplicate()
                                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                                .asIntBuffer();
                while (counts.hasRemaining()) active += counts.get();
                synchronized (this) {
                    if (first == null) first = c;
                    SaeTally t = saes.computeIfAbsent(c.getSaeId(), k -> new SaeTally());
                    t.version = Math.max(t.version, c.getVersion());
                    t.tokens += c.getRows();
                    t.activeSum += active;
                    t.d = c.getD();
                }
            }
        }
        consumer.close();
    }

    public synchronized long tokens() {
        return saes.values().stream().mapToLong(t -> t.tokens).max().orElse(0);
    }

    public synchronized double meanL0() {
        long tokens = saes.values().stream().mapToLong(t -> t.tokens).sum();
        long active = saes.values().stream().mapToLong(t -> t.activeSum).sum();
        return tokens == 0 ? 0 : (double) active / tokens;
    }

    /** The first codes record of the producer read, or null before one. */
    public synchronized FeatureCodes firstCodes() {
        return first;
    }

    public synchronized long deadLetters() {
        return deadLetters;
    }

    public synchronized Map<String, SaeFigures> saes() {
        Map<String, SaeFigures> out = new TreeMap<>();
        saes.forEach((id, t) -> out.put(id, new SaeFigures(t.version, t.tokens, t.meanL0(), t.d)));
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        closed.set(true);
        thread.join(5_000);
    }
}
