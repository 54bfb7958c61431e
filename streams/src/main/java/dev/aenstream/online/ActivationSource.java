package dev.aenstream.online;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Where the training loop's activation records come from: the activations topic in production
 * ({@link KafkaActivationSource}), a list in a test. Positions are named {@code topic-partition}
 * and hold the next offset to read, as the trainer's manifest keeps them.
 */
public interface ActivationSource extends AutoCloseable {
    /** One record as it arrived, with where it came from (named in its dead letters). */
    record Arrival(
            String topic, int partition, long offset, byte[] key, byte[] value, long timestampMs) {
        String position() {
            return ActivationSource.position(topic, partition);
        }
    }

    /**
     * Records of one partition that retention removed before they were read: offsets {@code from}
     * to {@code to - 1}. The source goes on at {@code to}.
     */
    record Gap(String topic, int partition, long from, long to) {
        String position() {
            return ActivationSource.position(topic, partition);
        }

        long lost() {
            return Math.max(0, to - from);
        }
    }

    /** What one poll brought: gaps first (they come before the records read after them). */
    record Polled(List<Gap> gaps, List<Arrival> records) {
        static final Polled NOTHING = new Polled(List.of(), List.of());

        boolean isEmpty() {
            return gaps.isEmpty() && records.isEmpty();
        }
    }

    /** Waits up to {@code timeout} for records. */
    Polled poll(Duration timeout);

    /**
     * The end of each position (the offset the next record appended gets); null when it cannot tell
     * now.
     */
    Map<String, Long> ends();

    /** Goes on reading at {@code positions}; positions it does not name stay where they are. */
    void seek(Map<String, Long> positions);

    /**
     * Tells the source how far the loop got, for tools that show a group's progress; best effort,
     * since the checkpoint's manifest is what a resume reads.
     */
    void commit(Map<String, Long> positions);

    @Override
    void close();

    /** The name of a position: Kafka's {@code TopicPartition} spelling. */
    static String position(String topic, int partition) {
        return topic + "-" + partition;
    }

    /** The gap from {@code from} to {@code to} of the position named {@code position}. */
    static Gap gap(String position, long from, long to) {
        int dash = position.lastIndexOf('-');
        return new Gap(
                position.substring(0, dash),
                Integer.parseInt(position.substring(dash + 1)),
                from,
                to);
    }
}
