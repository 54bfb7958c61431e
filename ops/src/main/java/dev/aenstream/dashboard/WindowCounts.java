package dev.aenstream.dashboard;

import dev.aenstream.avro.FeatureStats;
import dev.aenstream.monitor.ShardedWindows;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Statistics windows as a reader counts them: whole (a dictionary's shards and blocks merged), and
 * each once. The topic carries every update of a window, each holding the window so far, so what a
 * record adds is its tokens less those of its window's previous record.
 */
final class WindowCounts {
    /** Windows whose latest tokens are remembered: far more than a grace period holds open. */
    static final int WINDOWS_REMEMBERED = 4096;

    private final ShardedWindows parts = new ShardedWindows();
    private final Map<String, Long> latestTokens =
            new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                    return size() > WINDOWS_REMEMBERED;
                }
            };

    /** A whole window as now known, and the tokens it adds to what was counted before. */
    record Update(FeatureStats window, long added) {}

    /**
     * Takes one record; returns its window once whole, with what it adds.
     *
     * @throws IllegalArgumentException for a record whose sizes do not fit its bytes
     */
    Optional<Update> add(FeatureStats part) {
        FeatureStats f = parts.add(part).orElse(null);
        if (f == null || f.getTokens() == 0) return Optional.empty();
        String key = f.getSaeId() + "/v" + f.getVersion() + "@" + f.getWindowStartMs();
        Long before = latestTokens.put(key, f.getTokens());
        return Optional.of(new Update(f, f.getTokens() - (before == null ? 0 : before)));
    }
}
