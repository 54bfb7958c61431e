package dev.aenstream.encode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells, for the offsets an encoder skipped, those retention removed before it read them (the log
 * now starts after them) from those that were never rows, and reports the removed ones: Kafka
 * Streams resets a position that fell out of the log to its start without a word. Checks run on the
 * watch's own thread, one offsets request per round for every suspect, so a stream of transaction
 * markers costs the encoder nothing.
 */
public final class RetentionWatch implements Consumer<ReadPositions.Skipped>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RetentionWatch.class);
    private static final long ROUND_MS = 1000;
    private static final long CLOSE_WAIT_MS = 5000;

    /** What to do with offsets {@code [from, to)} of a partition that retention removed. */
    @FunctionalInterface
    public interface Lost {
        void lost(String topic, int partition, long from, long to);
    }

    private final Admin admin;
    private final Lost lost;
    private final BlockingQueue<ReadPositions.Skipped> suspects = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean stop;

    public RetentionWatch(Admin admin, Lost lost) {
        this.admin = admin;
        this.lost = lost;
        this.thread = new Thread(this::loop, "aen-retention-watch");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void accept(ReadPositions.Skipped skipped) {
        suspects.add(skipped);
    }

    private void loop() {
        while (!stop) {
            try {
                ReadPositions.Skipped first = suspects.poll(ROUND_MS, TimeUnit.MILLISECONDS);
                if (first == null) continue;
                List<ReadPositions.Skipped> round = new ArrayList<>(List.of(first));
                suspects.drainTo(round);
                check(round);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                LOG.warn(
                        "cannot tell whether skipped offsets were removed by retention: {}",
                        e.toString());
            }
        }
    }

    /** One request for the start of every partition in the round, then a verdict on each gap. */
    void check(List<ReadPositions.Skipped> round) throws Exception {
        Map<TopicPartition, OffsetSpec> asked = new HashMap<>();
        for (ReadPositions.Skipped s : round)
            asked.put(new TopicPartition(s.topic(), s.partition()), OffsetSpec.earliest());
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts =
                admin.listOffsets(asked).all().get(30, TimeUnit.SECONDS);
        for (ReadPositions.Skipped s : round) {
            long logStart = starts.get(new TopicPartition(s.topic(), s.partition())).offset();
            // The log starts past the first skipped offset: retention removed it and those after
            // it, up to the log's start or the record read next, whichever came first.
            if (logStart > s.from())
                lost.lost(s.topic(), s.partition(), s.from(), Math.min(s.to(), logStart));
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.interrupt();
        thread.join(CLOSE_WAIT_MS);
        admin.close();
    }
}
