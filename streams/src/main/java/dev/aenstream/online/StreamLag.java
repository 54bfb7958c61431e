package dev.aenstream.online;

import io.micrometer.core.instrument.Metrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How far the training loop is behind its stream: the records between its positions and the
 * source's end, the share of what was appended that it read, how old its newest record is, and,
 * under {@link OnlineTrainerConfig.LagPolicy#SKIP_TO_LATEST}, the ranges to jump over once it is
 * too far behind.
 */
final class StreamLag {
    /** How often the skip policy asks the source for its end: often enough, without a storm. */
    static final long SKIP_CHECK_MS = 1_000;

    /** The figures of one moment; null members where the source could not tell. */
    record Figures(long records, Double streamShare, Long lagMs) {}

    private final ActivationSource source;
    private final OnlineTrainerConfig.LagPolicy policy;
    private final long maxLagRecords;
    private final AtomicLong gauge = Metrics.gauge("aen.trainer.consumer.lag", new AtomicLong());
    private final AtomicReference<Double> shareGauge =
            Metrics.gauge(
                    "aen.trainer.stream.share",
                    new AtomicReference<>(Double.NaN),
                    AtomicReference::get);

    private long recordsRead;
    private long newestTimestampMs = -1;
    private long lastLag;
    private long recordsAtShare = -1;
    private long endAtShare = -1;
    private long skipCheckedAtMs = -SKIP_CHECK_MS;

    StreamLag(ActivationSource source, OnlineTrainerConfig config) {
        this.source = source;
        this.policy = config.get(OnlineTrainerConfig.LAG_POLICY);
        this.maxLagRecords = config.get(OnlineTrainerConfig.MAX_LAG_RECORDS);
    }

    /** Counts one record read from the source. */
    void read(ActivationSource.Arrival record) {
        recordsRead++;
        newestTimestampMs = Math.max(newestTimestampMs, record.timestampMs());
    }

    /**
     * The figures now, the share over the time since the previous call. When the source cannot tell
     * its end, the last lag stands and the share is null.
     */
    Figures measure(Map<String, Long> positions, long nowMs) {
        Map<String, Long> ends = source.ends();
        Long lagMs = newestTimestampMs < 0 ? null : Math.max(0, nowMs - newestTimestampMs);
        if (ends == null) return new Figures(lastLag, null, lagMs);
        lastLag = behind(ends, positions);
        gauge.set(lastLag);
        long end = ends.values().stream().mapToLong(Long::longValue).sum();
        Double share = null;
        if (endAtShare >= 0 && end > endAtShare)
            share = (double) (recordsRead - recordsAtShare) / (end - endAtShare);
        if (share != null) shareGauge.set(share);
        recordsAtShare = recordsRead;
        endAtShare = end;
        return new Figures(lastLag, share, lagMs);
    }

    /**
     * Under the skip policy, at most every {@link #SKIP_CHECK_MS}: the ranges from {@code
     * positions} to the source's end when the loop is more than the allowed records behind; else
     * none. The caller moves its positions and the source past them.
     */
    List<ActivationSource.Gap> toSkip(Map<String, Long> positions, long nowMs) {
        if (policy != OnlineTrainerConfig.LagPolicy.SKIP_TO_LATEST) return List.of();
        if (nowMs - skipCheckedAtMs < SKIP_CHECK_MS) return List.of();
        skipCheckedAtMs = nowMs;
        Map<String, Long> ends = source.ends();
        if (ends == null || behind(ends, positions) <= maxLagRecords) return List.of();
        List<ActivationSource.Gap> gaps = new ArrayList<>();
        for (Map.Entry<String, Long> e : ends.entrySet()) {
            long from = positions.getOrDefault(e.getKey(), 0L);
            if (e.getValue() > from) gaps.add(ActivationSource.gap(e.getKey(), from, e.getValue()));
        }
        return gaps;
    }

    private static long behind(Map<String, Long> ends, Map<String, Long> positions) {
        long lag = 0;
        for (Map.Entry<String, Long> e : ends.entrySet())
            lag += Math.max(0, e.getValue() - positions.getOrDefault(e.getKey(), 0L));
        return lag;
    }
}
