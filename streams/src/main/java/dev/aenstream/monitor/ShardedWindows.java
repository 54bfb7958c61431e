package dev.aenstream.monitor;

import dev.aenstream.avro.FeatureStats;
import java.util.LinkedHashMap;
import java.util.Optional;

/**
 * Gathers the statistics of a dictionary reported in parts (shards, or blocks of a wide one) as
 * they arrive, window by window, and gives the whole dictionary's window once every part has
 * reported it with the same tokens. Holds the latest record per part of the most recent windows
 * only.
 */
public final class ShardedWindows {
    /** Windows held at once, so a part that never reports costs bounded memory. */
    static final int MAX_WINDOWS = 256;

    /** Bytes of statistics held at once: a window of a wide dictionary is tens of MB. */
    static final long MAX_BYTES = 256L << 20;

    private final LinkedHashMap<String, FeatureStats[]> windows = new LinkedHashMap<>();
    private long bytes;

    /**
     * Takes one record (the latest of its shard and window replaces an earlier one); returns its
     * window's whole statistics when complete, at once for an unsharded dictionary.
     *
     * @throws IllegalArgumentException for a record whose sizes do not fit its bytes
     */
    public Optional<FeatureStats> add(FeatureStats s) {
        FeatureAccumulator.requireFits(s);
        if (s.getShards() == 1) return Optional.of(s);
        String window =
                s.getSaeId()
                        + "/v"
                        + s.getVersion()
                        + "@"
                        + s.getWindowStartMs()
                        + "/"
                        + s.getShards();
        FeatureStats[] shards =
                windows.computeIfAbsent(window, w -> new FeatureStats[s.getShards()]);
        if (shards[s.getShard()] != null) bytes -= size(shards[s.getShard()]);
        shards[s.getShard()] = s;
        bytes += size(s);
        var eldest = windows.entrySet().iterator();
        while ((windows.size() > MAX_WINDOWS || bytes > MAX_BYTES) && windows.size() > 1) {
            FeatureStats[] dropped = eldest.next().getValue();
            if (dropped == shards) break;
            for (FeatureStats part : dropped) if (part != null) bytes -= size(part);
            eldest.remove();
        }
        for (FeatureStats part : shards)
            if (part == null || part.getTokens() != s.getTokens()) return Optional.empty();
        return Optional.of(StatisticsParts.whole(java.util.List.of(shards)));
    }

    private static long size(FeatureStats s) {
        return s.getFireCounts().remaining()
                + s.getActivationSums().remaining()
                + s.getActivationMax().remaining()
                + (s.getActivationHistogram() == null ? 0 : s.getActivationHistogram().remaining());
    }
}
