package dev.aenstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.FeatureStats;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A window's statistics split into blocks of features (so that no record of a wide dictionary
 * passes the topics' limit) come back together exactly: every array, tokens, the l0 sum with what
 * the codes' cut left out, the fve and shrinkage; blocks of shards make the whole as shards do.
 */
class StatisticsBlocksTest {
    private static final int N = 6;
    private static final int D = 23;
    private static final int ROWS = 40;

    /** Random codes over features [first, first + width) with rows cut at 4 entries of up to 7. */
    private static SparseCodes codes(Random random, int first, int width, int d) {
        int[] offsets = new int[ROWS + 1];
        List<Integer> idx = new ArrayList<>();
        List<Float> val = new ArrayList<>();
        int[] active = new int[ROWS];
        for (int r = 0; r < ROWS; r++) {
            List<Integer> features = new ArrayList<>();
            for (int j = 0; j < width; j++) features.add(first + j);
            Collections.shuffle(features, random);
            int fired = random.nextInt(8);
            int kept = Math.min(fired, 4);
            for (int e = 0; e < kept; e++) {
                idx.add(features.get(e));
                val.add((float) Math.scalb(random.nextDouble() + 0.5, random.nextInt(12) - 9));
            }
            active[r] = fired;
            offsets[r + 1] = offsets[r] + kept;
        }
        float[] v = new float[val.size()];
        for (int i = 0; i < v.length; i++) v[i] = val.get(i);
        return new SparseCodes(
                ROWS, d, offsets, idx.stream().mapToInt(Integer::intValue).toArray(), v, active);
    }

    private static float[] rows(Random random) {
        float[] x = new float[ROWS * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        return x;
    }

    @Test
    void blocksOfAWholeDictionaryJoinToTheWindowExactly() {
        Random random = new Random(7);
        SaeParameters p = SaeParameters.initialise(N, D, 3);
        FeatureAccumulator acc = new FeatureAccumulator("s", 2, D, 5_000);
        for (int batch = 0; batch < 3; batch++) {
            SparseCodes c = codes(random, 0, D, D);
            acc.add(c);
            acc.addReconstruction(FloatBuffer.wrap(rows(random)), c, SaeDecoder.of(p), false, 1);
        }
        FeatureStats expected = acc.toRecord(6_000);
        assertThat(expected.getFve()).isNotNull();

        for (int blocks : new int[] {2, 3, 5, D}) {
            List<FeatureStats> parts = StatisticsParts.split(acc, 6_000, blocks);
            assertThat(parts).hasSize(blocks);
            assertThat(parts.stream().mapToInt(FeatureStats::getD).sum()).isEqualTo(D);
            assertThat(parts.stream().mapToInt(FeatureStats::getD).max().getAsInt())
                    .isLessThanOrEqualTo((D + blocks - 1) / blocks);
            assertThat(parts).allSatisfy(b -> assertThat(b.getShards()).isEqualTo(blocks));
            // Each block's l0 is its own features' fires, but for the first's share of the cut.
            for (int b = 1; b < blocks; b++)
                assertThat(parts.get(b).getL0Sum())
                        .isEqualTo(
                                (double)
                                        java.util.Arrays.stream(
                                                        FeatureAccumulator.fireCounts(parts.get(b)))
                                                .sum());

            List<FeatureStats> shuffled = new ArrayList<>(parts);
            Collections.shuffle(shuffled, random);
            FeatureStats whole = StatisticsParts.whole(shuffled);
            assertThat(whole).isEqualTo(expected);

            ShardedWindows windows = new ShardedWindows();
            Optional<FeatureStats> seen = Optional.empty();
            for (FeatureStats part : shuffled) seen = windows.add(part);
            assertThat(seen).contains(expected);
            assertThat(StatisticsParts.join(parts).toRecord(6_000)).isEqualTo(expected);
        }
    }

    @Test
    void blocksOfShardsMakeTheWholeAsTheShardsDo() {
        Random random = new Random(9);
        int shards = 2;
        int blockFeatures = 4;
        FeatureAccumulator whole = new FeatureAccumulator("s", 1, D, 0);
        List<FeatureStats> shardRecords = new ArrayList<>();
        List<FeatureStats> blockRecords = new ArrayList<>();
        int blocks = 0;
        for (int i = 0; i < shards; i++) {
            DictionaryShard shard = new DictionaryShard(i, shards);
            blocks = StatisticsParts.blocks(shard, D, blockFeatures);
            FeatureAccumulator acc = new FeatureAccumulator("s", 1, shard, D, 0);
            SparseCodes c = codes(random, shard.first(D), shard.width(D), D);
            acc.add(c);
            whole.add(c);
            shardRecords.add(acc.toRecord(1_000));
            List<FeatureStats> parts = StatisticsParts.split(acc, 1_000, blocks);
            blockRecords.addAll(parts);
            // The blocks of one shard join back into that shard's record.
            assertThat(StatisticsParts.join(parts).toRecord(1_000)).isEqualTo(acc.toRecord(1_000));
        }
        // Shards of 11 and 12 features split alike: 3 blocks each, 6 parts in all.
        assertThat(blocks).isEqualTo(3);
        assertThat(blockRecords).allSatisfy(b -> assertThat(b.getShards()).isEqualTo(6));
        FeatureStats fromShards = StatisticsParts.whole(shardRecords);
        FeatureStats fromBlocks = StatisticsParts.whole(blockRecords);
        assertThat(fromBlocks).isEqualTo(fromShards);
        // Shards' codes each miss the others' features: the tokens are not added up.
        assertThat(fromBlocks.getTokens()).isEqualTo(ROWS);
        assertThat(FeatureAccumulator.fireCounts(fromBlocks))
                .isEqualTo(FeatureAccumulator.fireCounts(whole.toRecord(1_000)));

        // Blocks not making one part of the dictionary are refused with the reason.
        assertThatThrownBy(() -> StatisticsParts.join(blockRecords.subList(1, 3)))
                .hasMessageContaining("not one part of the dictionary");
        assertThatThrownBy(() -> StatisticsParts.whole(blockRecords.subList(0, 5)))
                .hasMessageContaining("5 of 6");
    }

    @Test
    void blockCountsFollowTheWidestShard() {
        assertThat(StatisticsParts.blocks(DictionaryShard.WHOLE, 4_096, 16_384)).isEqualTo(1);
        assertThat(StatisticsParts.blocks(DictionaryShard.WHOLE, 131_072, 16_384)).isEqualTo(8);
        assertThat(StatisticsParts.blocks(DictionaryShard.WHOLE, 131_073, 16_384)).isEqualTo(9);
        assertThat(StatisticsParts.blocks(new DictionaryShard(3, 4), 131_072, 16_384)).isEqualTo(2);
    }
}
