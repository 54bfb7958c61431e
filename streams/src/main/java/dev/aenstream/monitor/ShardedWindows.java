package dev.aenstream.monitor;

import dev.aenstream.avro.FeatureStats;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Gathers the statistics of a sharded dictionary as they arrive, window by window, and gives the
 * whole dictionary's window once every shard has reported it with the same tokens. Holds the latest
 * record per shard of the most recent windows only.
 */
public final class ShardedWindows {
    /** Windows held at once, so a shard that never reports costs bounded memory. */
    static final int MAX_WINDOWS = 256;

    private final Map<String, FeatureStats[]> windows =
            new LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, FeatureStats[]> eldest) {
                    return size() > MAX_WINDOWS;
                }
            };

    /**
     * Takes one record (the latest of its shard and window replaces an earlier one); returns its
     * window's whole statistics when complete, at once for an unsharded dictionary.
     */
    public Optional<FeatureStats> add(FeatureStats s) {
        if (s.getShards() == 1) return Optional.of(s);
        if (s.getShard() < 0 || s.getShard() >= s.getShards()) return Optional.empty();
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
        shards[s.getShard()] = s;
        for (FeatureStats part : shards)
            if (part == null || part.getTokens() != s.getTokens()) return Optional.empty();
        return Optional.of(FeatureAccumulator.whole(java.util.List.of(shards)));
    }
}
