package dev.aenstream.online;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.topics.Partitions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The activations topic as the training loop's source: one consumer that owns every partition
 * (checkpointed positions, not group rebalancing, decide where it reads), reads committed records
 * only, finds partitions added later, and reports the records retention removed before it read them
 * instead of jumping over them silently.
 */
public final class KafkaActivationSource implements ActivationSource {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaActivationSource.class);

    /** How often the source looks for partitions added to the activations topic. */
    static final long PARTITION_CHECK_MS = 10_000;

    /** How long asking for the partitions' ends may wait for the broker. */
    private static final Duration END_TIMEOUT = Duration.ofSeconds(5);

    /** Records per poll: a few, so that positions move in small steps between checkpoints. */
    private static final int MAX_POLL_RECORDS = 16;

    private final String topic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions;
    private long partitionsCheckedAt = System.currentTimeMillis();

    /**
     * Opens the source at {@code positions} (named {@code topic-partition}); partitions they do not
     * name are read from their start.
     */
    public KafkaActivationSource(
            KafkaConnection connection, String topic, String groupId, Map<String, Long> positions) {
        this.topic = topic;
        Properties props = connection.client();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
        // Never jump silently: an offset retention has removed is found and reported as a gap.
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        this.consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.partitions = new ArrayList<>(Partitions.assignAll(consumer, topic));
        for (TopicPartition tp : partitions) {
            Long at = positions.get(tp.toString());
            if (at != null) consumer.seek(tp, at);
            else consumer.seekToBeginning(List.of(tp));
        }
    }

    @Override
    public Polled poll(Duration timeout) {
        if (System.currentTimeMillis() - partitionsCheckedAt > PARTITION_CHECK_MS) {
            joinNewPartitions();
            partitionsCheckedAt = System.currentTimeMillis();
        }
        ConsumerRecords<byte[], byte[]> records;
        try {
            records = consumer.poll(timeout);
        } catch (OffsetOutOfRangeException e) {
            return new Polled(skip(e.offsetOutOfRangePartitions()), List.of());
        }
        if (records.isEmpty()) return Polled.NOTHING;
        List<Arrival> out = new ArrayList<>(records.count());
        for (ConsumerRecord<byte[], byte[]> r : records)
            out.add(
                    new Arrival(
                            r.topic(),
                            r.partition(),
                            r.offset(),
                            r.key(),
                            r.value(),
                            r.timestamp()));
        return new Polled(List.of(), out);
    }

    /** Moves past what retention removed, to the oldest record still there. */
    private List<Gap> skip(Map<TopicPartition, Long> gone) {
        Map<TopicPartition, Long> start = consumer.beginningOffsets(gone.keySet());
        List<Gap> gaps = new ArrayList<>();
        for (Map.Entry<TopicPartition, Long> e : gone.entrySet()) {
            TopicPartition tp = e.getKey();
            long to = start.get(tp);
            consumer.seek(tp, to);
            gaps.add(new Gap(tp.topic(), tp.partition(), e.getValue(), to));
        }
        return gaps;
    }

    /** Partitions added to the activations topic since the source opened, read from their start. */
    private void joinNewPartitions() {
        List<TopicPartition> now;
        try {
            // listTopics asks the broker; partitionsFor would answer from a cache minutes old.
            var info = consumer.listTopics(Duration.ofSeconds(5)).get(topic);
            if (info == null) return;
            now = info.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        } catch (KafkaException e) {
            return; // the broker is away: the next check will do
        }
        List<TopicPartition> added = now.stream().filter(tp -> !partitions.contains(tp)).toList();
        if (added.isEmpty()) return;
        partitions.addAll(added);
        consumer.assign(partitions);
        consumer.seekToBeginning(added);
        LOG.info("reading partitions added to the activations topic: {}", added);
    }

    @Override
    public Map<String, Long> ends() {
        try {
            Map<String, Long> ends = new HashMap<>();
            for (Map.Entry<TopicPartition, Long> e :
                    consumer.endOffsets(partitions, END_TIMEOUT).entrySet())
                ends.put(e.getKey().toString(), e.getValue());
            return ends;
        } catch (KafkaException e) {
            return null; // the broker is away
        }
    }

    @Override
    public void seek(Map<String, Long> positions) {
        for (TopicPartition tp : partitions) {
            Long at = positions.get(tp.toString());
            if (at != null) consumer.seek(tp, at);
        }
    }

    @Override
    public void commit(Map<String, Long> positions) {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        for (TopicPartition tp : partitions) {
            Long at = positions.get(tp.toString());
            if (at != null) commit.put(tp, new OffsetAndMetadata(at));
        }
        consumer.commitAsync(commit, null);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
