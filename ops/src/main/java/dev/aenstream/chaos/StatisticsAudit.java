package dev.aenstream.chaos;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.monitor.ShardedWindows;
import dev.aenstream.topics.TopicSnapshot;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The feature-stats topic held against the codes: per version, the tokens of every window (the
 * latest record of each, as the topic is compacted to) plus the tokens alerted late must equal the
 * rows its codes hold, and each feature's fire count the rows its codes fire on.
 */
final class StatisticsAudit {
    long versionsChecked;
    long tokensCounted;
    long tokensUnaccounted;
    long firesMismatched;
    long versionsCut;
    String firstMismatch;

    static StatisticsAudit run(
            KafkaConnection kafka, String topic, CodeAudit codes, AlertAudit alerts) {
        AvroSerde<FeatureStats> serde = new AvroSerde<>(FeatureStats.class);
        Map<String, FeatureStats> latest = new HashMap<>();
        TopicSnapshot.forEach(
                kafka,
                topic,
                r -> {
                    if (r.key() != null && r.value() != null)
                        latest.put(new String(r.key()), serde.fromBytes(r.value()));
                });
        Map<String, Long> tokens = new HashMap<>();
        Map<String, long[]> fires = new HashMap<>();
        // Whole windows, as every reader counts them: a wide dictionary's blocks and a sharded
        // one's shards merged, each window's parts handed over together.
        ShardedWindows windows = new ShardedWindows();
        List<FeatureStats> parts = new ArrayList<>(latest.values());
        parts.sort(
                Comparator.comparing(FeatureStats::getSaeId)
                        .thenComparingLong(FeatureStats::getVersion)
                        .thenComparingLong(FeatureStats::getWindowStartMs));
        for (FeatureStats part : parts) {
            FeatureStats s = windows.add(part).orElse(null);
            if (s == null) continue;
            String version = s.getSaeId() + "/v" + s.getVersion();
            tokens.merge(version, s.getTokens(), Long::sum);
            long[] f = FeatureAccumulator.fireCounts(s);
            long[] sum = fires.computeIfAbsent(version, k -> new long[f.length]);
            for (int j = 0; j < f.length; j++) sum[j] += f[j];
        }
        StatisticsAudit audit = new StatisticsAudit();
        TreeSet<String> versions = new TreeSet<>(tokens.keySet());
        versions.addAll(codes.tallies().keySet());
        for (String v : versions) {
            CodeAudit.Tally tally = codes.tallies().get(v);
            long rows = tally == null ? 0 : tally.rows;
            long counted = tokens.getOrDefault(v, 0L);
            long late = alerts.lateTokens.getOrDefault(v, 0L);
            audit.versionsChecked++;
            audit.tokensCounted += counted;
            long off = Math.abs(rows - counted - late);
            audit.tokensUnaccounted += off;
            if (off > 0)
                audit.mismatch(
                        v
                                + ": codes hold "
                                + rows
                                + " rows, statistics "
                                + counted
                                + " + late "
                                + late);
            // Fires are compared where every token is in a window and no row was cut at k_max.
            if (tally == null || late > 0 || tally.cut) {
                audit.versionsCut += tally != null && tally.cut ? 1 : 0;
                continue;
            }
            long[] counts = fires.getOrDefault(v, new long[tally.fires.length]);
            for (int j = 0; j < tally.fires.length; j++) {
                long stat = j < counts.length ? counts[j] : 0;
                if (stat != tally.fires[j]) {
                    audit.firesMismatched++;
                    audit.mismatch(
                            v
                                    + " feature "
                                    + j
                                    + ": codes fire on "
                                    + tally.fires[j]
                                    + " rows, statistics count "
                                    + stat);
                }
            }
        }
        return audit;
    }

    private void mismatch(String what) {
        if (firstMismatch == null) firstMismatch = what;
    }
}
