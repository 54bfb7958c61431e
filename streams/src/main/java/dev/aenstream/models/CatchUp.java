package dev.aenstream.models;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.apache.kafka.common.TopicPartition;

/**
 * A follower's reading of the models topic up to the end it had when the follower (re)started:
 * meanwhile only the newest admitted version of each SAE is kept (its file on disk), to be served
 * once the end is reached, so old versions are never loaded one after another on the way.
 */
final class CatchUp {
    /** Per partition the end to reach; null when caught up. */
    private Map<TopicPartition, Long> end;

    private final Map<String, ModelAssembler.Assembled> newest = new HashMap<>();
    private final CountDownLatch first = new CountDownLatch(1);

    /** SAEs served when first caught up; -1 before then. */
    private volatile int saesFound = -1;

    /** Starts catching up to {@code endOffsets}, as a consumer opened at the topic's beginning. */
    void start(Map<TopicPartition, Long> endOffsets) {
        end = new HashMap<>(endOffsets);
    }

    boolean active() {
        return end != null;
    }

    /** The version kept for {@code saeId}, 0 for none. */
    long keptVersion(String saeId) {
        ModelAssembler.Assembled a = newest.get(saeId);
        return a == null ? 0 : a.model().getVersion();
    }

    /**
     * Keeps {@code a} (admitted, newer than any kept or served) in place of the one kept before.
     */
    void keep(ModelAssembler.Assembled a) {
        ModelAssembler.Assembled before = newest.put(a.model().getSaeId(), a);
        if (before != null) before.delete();
    }

    /**
     * When every partition's {@code position} has reached its end, stops catching up and returns
     * the versions kept, the caller's to serve and delete; else returns nothing.
     */
    List<ModelAssembler.Assembled> reached(ToLongFunction<TopicPartition> position) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet())
            if (position.applyAsLong(e.getKey()) < e.getValue()) return List.of();
        end = null;
        List<ModelAssembler.Assembled> kept = new ArrayList<>(newest.values());
        newest.clear();
        return kept;
    }

    /** Records that the kept versions were served: {@code saes} SAEs are, the first time. */
    void served(int saes) {
        if (saesFound < 0) saesFound = saes;
        first.countDown();
    }

    /** Waits until first caught up; the SAEs then served, or -1 if the timeout passed first. */
    int await(Duration timeout) throws InterruptedException {
        return first.await(timeout.toNanos(), TimeUnit.NANOSECONDS) ? saesFound : -1;
    }

    /** Deletes the files of versions kept and not served. */
    void close() {
        newest.values().forEach(ModelAssembler.Assembled::delete);
        newest.clear();
    }
}
