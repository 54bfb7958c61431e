package dev.aenstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.FeatureContext;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.sae.SparseCodes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Top contexts against a full sort: batches spread over tasks in any order, with ties and a task
 * that restarts, merged in any order, keep per feature exactly the k best tokens.
 */
class TopContextsTest {
    private static final int D = 40;
    private static final int K = 4;
    private static final int ROWS = 30;

    @Test
    void candidatesMergedInAnyOrderAreTheTopKOfAFullSort() {
        Random random = new Random(7);
        List<SparseCodes> batches = new ArrayList<>();
        for (int b = 0; b < 25; b++) batches.add(batch(random));
        List<String> expected = fullSort(batches);
        for (int trial = 0; trial < 5; trial++) {
            int tasks = 1 + random.nextInt(3);
            List<TopContexts> task = new ArrayList<>();
            for (int t = 0; t < tasks; t++) task.add(new TopContexts("s", 1, D, K, 10));
            List<FeatureContexts> candidates = new ArrayList<>();
            for (int b = 0; b < batches.size(); b++) {
                int t = random.nextInt(tasks);
                // A restart forgets the thresholds: more candidates, never fewer.
                if (random.nextInt(10) == 0) task.set(t, new TopContexts("s", 1, D, K, 10));
                candidates.addAll(
                        task.get(t).candidates(batches.get(b), RowOrigins.none(), "p", b));
            }
            // A duplicate delivery of one batch's candidates changes nothing.
            candidates.addAll(candidates.subList(0, Math.min(3, candidates.size())));
            Collections.shuffle(candidates, random);
            Map<Integer, FeatureContexts> merged = new HashMap<>();
            for (FeatureContexts c : candidates) merged.merge(c.getBlock(), c, TopContexts::merge);
            assertThat(flatten(merged.values())).isEqualTo(expected);
        }
    }

    @Test
    void theShardsRecordsOfABlockMergeIntoTheWholeDictionarys() {
        Random random = new Random(3);
        TopContexts whole = new TopContexts("s", 1, D, K, 0);
        TopContexts low = new TopContexts("s", 1, D, K, 0);
        TopContexts high = new TopContexts("s", 1, D, K, 0);
        Map<Integer, FeatureContexts> merged = new HashMap<>();
        Map<Integer, FeatureContexts> expected = new HashMap<>();
        for (int b = 0; b < 20; b++) {
            SparseCodes codes = batch(random);
            for (FeatureContexts c : whole.candidates(codes, RowOrigins.none(), "p", b))
                expected.merge(c.getBlock(), c, TopContexts::merge);
            // Shard 0 holds features [0, 20), shard 1 the rest: both write block 0.
            for (FeatureContexts c : low.candidates(only(codes, 0, 20), RowOrigins.none(), "p", b))
                merged.merge(c.getBlock(), c, TopContexts::merge);
            for (FeatureContexts c : high.candidates(only(codes, 20, D), RowOrigins.none(), "p", b))
                merged.merge(c.getBlock(), c, TopContexts::merge);
        }
        assertThat(flatten(merged.values())).isEqualTo(flatten(expected.values()));
        assertThat(TopContexts.key("s", 1, 4, 0)).isEqualTo("s#1/4/b0");
        assertThat(TopContexts.key("s", 0, 1, 0)).isEqualTo(TopContexts.key("s", 0));
    }

    /** The entries of features [from, to) of {@code codes}, as a shard of them would have. */
    private static SparseCodes only(SparseCodes codes, int from, int to) {
        int[] offsets = new int[codes.rows() + 1];
        List<Integer> idx = new ArrayList<>();
        List<Float> val = new ArrayList<>();
        for (int r = 0; r < codes.rows(); r++) {
            for (int e = codes.rowOffsets()[r]; e < codes.rowOffsets()[r + 1]; e++) {
                if (codes.indices()[e] < from || codes.indices()[e] >= to) continue;
                idx.add(codes.indices()[e]);
                val.add(codes.values()[e]);
            }
            offsets[r + 1] = idx.size();
        }
        float[] values = new float[val.size()];
        for (int i = 0; i < values.length; i++) values[i] = val.get(i);
        return new SparseCodes(
                codes.rows(),
                D,
                offsets,
                idx.stream().mapToInt(Integer::intValue).toArray(),
                values,
                codes.activeCounts());
    }

    @Test
    void aNewerVersionReplacesABlockAndOtherBlocksDoNotMerge() {
        Random random = new Random(1);
        SparseCodes codes = batch(random);
        FeatureContexts a =
                new TopContexts("s", 1, D, K, 0)
                        .candidates(codes, RowOrigins.none(), "p", 0)
                        .get(0);
        FeatureContexts b =
                new TopContexts("s", 2, D, K, 0)
                        .candidates(batch(random), RowOrigins.none(), "p", 1)
                        .get(0);
        assertThat(TopContexts.merge(a, b)).isSameAs(b);
        assertThat(TopContexts.merge(b, a)).isSameAs(b);
        FeatureContexts other =
                FeatureContexts.newBuilder()
                        .setSaeId("s")
                        .setVersion(1)
                        .setBlock(1)
                        .setBlockSize(a.getBlockSize())
                        .setK(K)
                        .setContexts(List.of())
                        .build();
        assertThatThrownBy(() -> TopContexts.merge(a, other))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("s/b0")
                .hasMessageContaining("s/b1");
    }

    /** Rows with a few features each; values on a coarse grid, so ties happen. */
    private static SparseCodes batch(Random random) {
        int[] offsets = new int[ROWS + 1];
        List<Integer> idx = new ArrayList<>();
        List<Float> val = new ArrayList<>();
        int[] active = new int[ROWS];
        for (int r = 0; r < ROWS; r++) {
            List<Integer> features = new ArrayList<>();
            for (int j = 0; j < D; j++) features.add(j);
            Collections.shuffle(features, random);
            int count = random.nextInt(6);
            for (int i = 0; i < count; i++) {
                idx.add(features.get(i));
                val.add((1 + random.nextInt(8)) / 4f);
            }
            active[r] = count;
            offsets[r + 1] = idx.size();
        }
        int[] indices = idx.stream().mapToInt(Integer::intValue).toArray();
        float[] values = new float[val.size()];
        for (int i = 0; i < values.length; i++) values[i] = val.get(i);
        return new SparseCodes(ROWS, D, offsets, indices, values, active);
    }

    private static List<String> fullSort(List<SparseCodes> batches) {
        Map<Integer, List<float[]>> byFeature = new HashMap<>();
        for (int b = 0; b < batches.size(); b++) {
            SparseCodes c = batches.get(b);
            for (int r = 0; r < c.rows(); r++)
                for (int e = c.rowOffsets()[r]; e < c.rowOffsets()[r + 1]; e++)
                    byFeature
                            .computeIfAbsent(c.indices()[e], j -> new ArrayList<>())
                            .add(new float[] {c.values()[e], b, r});
        }
        List<String> out = new ArrayList<>();
        byFeature.forEach(
                (j, entries) -> {
                    entries.sort(
                            Comparator.<float[]>comparingDouble(e -> -e[0])
                                    .thenComparingDouble(e -> e[1])
                                    .thenComparingDouble(e -> e[2]));
                    for (float[] e : entries.subList(0, Math.min(K, entries.size())))
                        out.add(j + " " + e[0] + " " + (int) e[1] + "/" + (int) e[2]);
                });
        out.sort(Comparator.naturalOrder());
        return out;
    }

    private static List<String> flatten(Iterable<FeatureContexts> blocks) {
        List<String> out = new ArrayList<>();
        for (FeatureContexts b : blocks)
            for (FeatureContext c : b.getContexts())
                out.add(
                        c.getFeature()
                                + " "
                                + c.getValue()
                                + " "
                                + c.getSequence()
                                + "/"
                                + c.getRow());
        out.sort(Comparator.naturalOrder());
        return out;
    }
}
