package dev.aenstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.SaeState;
import dev.aenstream.encode.CodesRecords;
import dev.aenstream.encode.ShardedCodes;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SparseCodes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How the pieces of a sharded dictionary come back together: statistics windows, monitor views and
 * codes, and what is refused (a shard missing, behind, or twice).
 */
class ShardMergeTest {
    private static final int D = 10;

    /** Codes of 2 rows over a dictionary of D, with per-feature totals, from sparse entries. */
    private static SparseCodes codes(int[][] rows, float[][] values, int d) {
        int[] offsets = new int[rows.length + 1];
        List<Integer> idx = new ArrayList<>();
        List<Float> val = new ArrayList<>();
        int[] active = new int[rows.length];
        float[] fires = new float[d];
        float[] sums = new float[d];
        float[] max = new float[d];
        for (int r = 0; r < rows.length; r++) {
            for (int e = 0; e < rows[r].length; e++) {
                idx.add(rows[r][e]);
                val.add(values[r][e]);
                fires[rows[r][e]]++;
                sums[rows[r][e]] += values[r][e];
                max[rows[r][e]] = Math.max(max[rows[r][e]], values[r][e]);
            }
            active[r] = rows[r].length;
            offsets[r + 1] = offsets[r] + rows[r].length;
        }
        return new SparseCodes(
                rows.length,
                d,
                offsets,
                idx.stream().mapToInt(Integer::intValue).toArray(),
                toFloats(val),
                active,
                new SparseCodes.FeatureTotals(fires, sums, max));
    }

    private static float[] toFloats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) out[i] = values.get(i);
        return out;
    }

    @Test
    void shardWindowsLaidSideBySideEqualTheWholeWindow() {
        // The whole dictionary's codes, and the same rows seen by shards 0/2 (features 0-4) and
        // 1/2 (5-9), in their own feature ids.
        SparseCodes whole =
                codes(new int[][] {{7, 1, 4}, {2}}, new float[][] {{3f, 2f, 1f}, {5f}}, D);
        SparseCodes low = codes(new int[][] {{1, 4}, {2}}, new float[][] {{2f, 1f}, {5f}}, 5);
        SparseCodes high = codes(new int[][] {{2}, {}}, new float[][] {{3f}, {}}, 5);

        FeatureAccumulator w = new FeatureAccumulator("s", 3, D, 1000);
        w.add(whole);
        FeatureAccumulator a = new FeatureAccumulator("s", 3, new DictionaryShard(0, 2), D, 1000);
        a.add(low.inDictionary(0, D));
        FeatureAccumulator b = new FeatureAccumulator("s", 3, new DictionaryShard(1, 2), D, 1000);
        b.add(high.inDictionary(5, D));
        FeatureStats sa = a.toRecord(2000);
        FeatureStats sb = b.toRecord(2000);
        assertThat(sb.getFirstFeature()).isEqualTo(5);
        assertThat(sb.getD()).isEqualTo(5);

        FeatureStats merged = StatisticsParts.whole(List.of(sb, sa));
        FeatureStats expected = w.toRecord(2000);
        assertThat(FeatureAccumulator.fireCounts(merged))
                .isEqualTo(FeatureAccumulator.fireCounts(expected));
        assertThat(merged.getActivationSums()).isEqualTo(expected.getActivationSums());
        assertThat(merged.getActivationMax()).isEqualTo(expected.getActivationMax());
        assertThat(merged.getTokens()).isEqualTo(2);
        assertThat(merged.getL0Sum()).isEqualTo(expected.getL0Sum());
        assertThat(merged.getShards()).isEqualTo(1);

        // Tasks of one shard add up; shards of different features do not.
        assertThat(FeatureAccumulator.merge(sa, sa).getTokens()).isEqualTo(4);
        assertThatThrownBy(() -> FeatureAccumulator.merge(sa, sb))
                .hasMessageContaining("different features");
        // A shard missing, behind, or twice.
        assertThatThrownBy(() -> StatisticsParts.whole(List.of(sa))).hasMessageContaining("1 of 2");
        assertThatThrownBy(() -> StatisticsParts.whole(List.of(sa, sa)))
                .hasMessageContaining("twice");
        FeatureStats behind = FeatureAccumulator.merge(sb, sb);
        assertThatThrownBy(() -> StatisticsParts.whole(List.of(sa, behind)))
                .hasMessageContaining("not every shard has finished");

        ShardedWindows windows = new ShardedWindows();
        assertThat(windows.add(sa)).isEmpty();
        assertThat(windows.add(sb)).hasValueSatisfying(s -> assertThat(s.getD()).isEqualTo(D));
    }

    @Test
    void monitorViewsOfShardsMergeWeightedByTheirFeatures() {
        SaeState a = state(0, 2, 4, 100, 25.0, 3.0, List.of(1L, 3L));
        SaeState b = state(1, 2, 6, 100, 50.0, 4.5, List.of(3L, 3L));
        SaeState merged = SaeStates.whole(List.of(b, a)).orElseThrow();
        assertThat(merged.getD()).isEqualTo(10);
        assertThat(merged.getDeadPct()).isEqualTo(40.0); // (1 + 3) of 10 features
        assertThat(merged.getL0()).isEqualTo(7.5);
        assertThat(merged.getDensityHistogram().subList(0, 2)).containsExactly(4L, 6L);
        assertThat(SaeStates.whole(List.of(a))).isEmpty();
        assertThat(SaeStates.key("s", 1, 2)).isEqualTo("s#1/2");
        assertThat(SaeStates.key("s", 0, 1)).isEqualTo("s");
        SaeState solo = state(0, 1, 10, 100, 10.0, 7.0, List.of(1L, 9L));
        assertThat(SaeStates.merged(List.of(a, solo, b))).hasSize(2);
        assertThat(SaeStates.merged(List.of(a, solo))).hasSize(2).contains(a, solo);
    }

    private static SaeState state(
            int shard, int shards, int d, long tokens, double deadPct, double l0, List<Long> bins) {
        List<Long> histogram = new ArrayList<>(bins);
        while (histogram.size() < dev.aenstream.sae.train.FeatureWindow.DECADES + 1)
            histogram.add(0L);
        return SaeState.newBuilder()
                .setSaeId("s")
                .setVersion(2)
                .setD(d)
                .setTokens(tokens)
                .setDeadPct(deadPct)
                .setRarePct(0)
                .setL0(l0)
                .setDensityHistogram(histogram)
                .setUpdatedAtMs(0)
                .setShard(shard)
                .setShards(shards)
                .build();
    }

    @Test
    void aReaderMergesABatchOnceEveryShardsPartsAreIn() {
        SparseCodes low = codes(new int[][] {{1, 4}, {2}}, new float[][] {{2f, 1f}, {5f}}, 5);
        SparseCodes high = codes(new int[][] {{2}, {}}, new float[][] {{3f}, {}}, 5);
        // A tiny record limit splits shard 0's codes into one part per row.
        List<FeatureCodes> shard0 =
                CodesRecords.toRecords(
                        low.inDictionary(0, D),
                        "s",
                        1,
                        "p",
                        9,
                        new DictionaryShard(0, 2),
                        RowOrigins.none(),
                        65_580);
        List<FeatureCodes> shard1 =
                CodesRecords.toRecords(
                        high.inDictionary(5, D),
                        "s",
                        1,
                        "p",
                        9,
                        new DictionaryShard(1, 2),
                        RowOrigins.none(),
                        1 << 20);
        ShardedCodes reader = new ShardedCodes(2, 8);
        assertThat(reader.add(shard0.get(0))).isEmpty();
        assertThat(reader.add(shard1.get(0))).isEmpty();
        // At-least-once may deliver a part again: it is taken once.
        assertThat(reader.add(shard1.get(0))).isEmpty();
        assertThat(shard0).hasSizeGreaterThan(1);
        for (int p = 1; p < shard0.size() - 1; p++) assertThat(reader.add(shard0.get(p))).isEmpty();
        ShardedCodes.Batch batch = reader.add(shard0.get(shard0.size() - 1)).orElseThrow();
        assertThat(batch.sequence()).isEqualTo(9);
        // Row 0 keeps its two largest: feature 7 (3.0) and feature 1 (2.0); 3 fired.
        assertThat(batch.codes().denseRow(0)[7]).isEqualTo(3f);
        assertThat(batch.codes().denseRow(0)[1]).isEqualTo(2f);
        assertThat(batch.codes().denseRow(0)[4]).isZero();
        assertThat(batch.codes().activeCounts()).containsExactly(3, 1);
        assertThat(reader.pending()).isZero();

        ShardedCodes small = new ShardedCodes(2, 1);
        small.add(shard1.get(0));
        small.add(
                CodesRecords.toRecords(
                                high.inDictionary(5, D),
                                "s",
                                1,
                                "p",
                                10,
                                new DictionaryShard(1, 2),
                                RowOrigins.none(),
                                1 << 20)
                        .get(0));
        assertThat(small.abandoned()).isEqualTo(1);
        assertThat(small.pending()).isEqualTo(1);
    }
}
