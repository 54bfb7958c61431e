package dev.aenstream.monitor;

import dev.aenstream.avro.FeatureStats;
import dev.aenstream.sae.DictionaryShard;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A window's statistics in parts and back: split into blocks of features so that no record of a
 * wide dictionary passes the topics' limit, and joined from blocks or shards into the whole, so
 * readers merge blocks exactly as they merge shards.
 */
public final class StatisticsParts {
    private StatisticsParts() {}

    /**
     * How many blocks of at most {@code maxFeatures} features the statistics of {@code shard} of a
     * dictionary of {@code dictionary} are split into: the same number for every shard of it, so
     * that readers know how many parts make the whole.
     */
    public static int blocks(DictionaryShard shard, int dictionary, int maxFeatures) {
        int widest = -Math.floorDiv(-dictionary, shard.count());
        return Math.max(1, -Math.floorDiv(-widest, maxFeatures));
    }

    /**
     * This window's statistics as {@code blocks} records, each of a contiguous block of its
     * features: block j of shard i/S is part i·blocks + j of S·blocks, so a reader merges blocks
     * exactly as it merges shards ({@link #whole}). Each block's l0 sum is the fires of its
     * features, the first one's also what the codes' cut left uncounted; the first block carries
     * the reconstruction, fve and shrinkage, so the whole keeps them.
     */
    public static List<FeatureStats> split(FeatureAccumulator acc, long windowEndMs, int blocks) {
        if (blocks == 1) return List.of(acc.toRecord(windowEndMs));
        if (blocks < 1 || blocks > acc.d)
            throw new IllegalArgumentException(
                    "cannot split " + acc.d + " features into " + blocks + " blocks");
        double[] blockL0 = new double[blocks];
        int[] starts = new int[blocks + 1];
        for (int b = 0; b <= blocks; b++) starts[b] = (int) ((long) b * acc.d / blocks);
        double counted = 0;
        for (int b = 0; b < blocks; b++) {
            for (int j = starts[b]; j < starts[b + 1]; j++) blockL0[b] += acc.fires[j];
            counted += blockL0[b];
        }
        blockL0[0] += acc.l0Sum - counted;
        List<FeatureStats> out = new ArrayList<>(blocks);
        for (int b = 0; b < blocks; b++) {
            int from = starts[b];
            int width = starts[b + 1] - from;
            FeatureAccumulator block =
                    new FeatureAccumulator(
                            acc.saeId,
                            acc.version,
                            width,
                            acc.shard * blocks + b,
                            acc.shards * blocks,
                            acc.firstFeature + from,
                            acc.windowStartMs,
                            Arrays.copyOfRange(acc.fires, from, from + width),
                            Arrays.copyOfRange(acc.sums, from, from + width),
                            Arrays.copyOfRange(acc.max, from, from + width),
                            Arrays.copyOfRange(
                                    acc.histogram,
                                    from * FeatureAccumulator.HISTOGRAM_BINS,
                                    (from + width) * FeatureAccumulator.HISTOGRAM_BINS),
                            acc.tokens,
                            blockL0[b],
                            b == 0 ? acc.reconstruction : null,
                            b == 0 ? acc.l1Sums : null);
            out.add(block.toRecord(windowEndMs));
        }
        return out;
    }

    /**
     * The statistics of a whole dictionary from those of its parts (shards, or blocks of shards)
     * over one window, as {@link #join} lays them side by side.
     *
     * @throws IllegalArgumentException as {@link #join}, or unless the parts make the whole
     */
    public static FeatureStats whole(List<FeatureStats> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("no statistics to merge");
        if (parts.size() != parts.get(0).getShards())
            throw new IllegalArgumentException(
                    "have "
                            + parts.size()
                            + " of "
                            + parts.get(0).getShards()
                            + " shards' statistics");
        if (parts.size() == 1) return parts.get(0);
        return join(parts)
                .toRecord(parts.stream().mapToLong(FeatureStats::getWindowEndMs).max().getAsLong());
    }

    /**
     * The statistics of consecutive parts of a dictionary (shards, or the blocks of one shard, as
     * {@link #split} makes them) over one window, as one: each part's per-feature arrays at its
     * features, l0 sums added; every part saw the same tokens. The reconstruction (hence fve and
     * shrinkage) is kept when exactly one part carries it, as the first block of a dictionary
     * encoded whole does; shards' codes each miss the others' features, so theirs is unknown.
     *
     * @throws IllegalArgumentException unless the records are consecutive parts of one window, each
     *     once and side by side, with the same tokens (a part behind the others has not finished
     *     the window)
     */
    public static FeatureAccumulator join(List<FeatureStats> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("no statistics to merge");
        FeatureStats first = parts.get(0);
        if (parts.size() == 1) return FeatureAccumulator.fromRecord(first);
        int count = first.getShards();
        FeatureAccumulator[] byPart = new FeatureAccumulator[count];
        int lowest = Integer.MAX_VALUE;
        for (FeatureStats p : parts) {
            if (!p.getSaeId().equals(first.getSaeId())
                    || p.getVersion() != first.getVersion()
                    || p.getWindowStartMs() != first.getWindowStartMs()
                    || p.getShards() != count)
                throw new IllegalArgumentException(
                        "statistics of different SAEs, versions, windows or shardings");
            if (p.getTokens() != first.getTokens())
                throw new IllegalArgumentException(
                        "shard "
                                + p.getShard()
                                + " saw "
                                + p.getTokens()
                                + " tokens but shard "
                                + first.getShard()
                                + " saw "
                                + first.getTokens()
                                + ": not every shard has finished the window");
            if (p.getShard() < 0 || p.getShard() >= count)
                throw new IllegalArgumentException("shard " + p.getShard() + " of " + count);
            if (byPart[p.getShard()] != null)
                throw new IllegalArgumentException("shard " + p.getShard() + " twice");
            byPart[p.getShard()] = FeatureAccumulator.fromRecord(p);
            lowest = Math.min(lowest, p.getShard());
        }
        int size = parts.size();
        if (count % size != 0 || lowest % size != 0)
            throw new IllegalArgumentException(
                    "shards "
                            + lowest
                            + " to "
                            + (lowest + size - 1)
                            + " of "
                            + count
                            + " are not one part of the dictionary");
        FeatureAccumulator start = byPart[lowest];
        int d = 0;
        double[] reconstruction = null;
        double[] l1Sums = null;
        int withReconstruction = 0;
        for (int i = lowest; i < lowest + size; i++) {
            FeatureAccumulator a = byPart[i];
            if (a == null) throw new IllegalArgumentException("shard " + i + " is missing");
            if (a.firstFeature != start.firstFeature + d)
                throw new IllegalArgumentException(
                        "shard "
                                + a.shard
                                + " starts at feature "
                                + a.firstFeature
                                + ", not "
                                + (start.firstFeature + d));
            d += a.d;
            if (a.reconstruction != null) {
                withReconstruction++;
                reconstruction = a.reconstruction;
                l1Sums = a.l1Sums;
            }
        }
        FeatureAccumulator w =
                new FeatureAccumulator(
                        first.getSaeId(),
                        first.getVersion(),
                        d,
                        lowest / size,
                        count / size,
                        start.firstFeature,
                        first.getWindowStartMs(),
                        new long[d],
                        new double[d],
                        new float[d],
                        new long[d * FeatureAccumulator.HISTOGRAM_BINS],
                        first.getTokens(),
                        0,
                        withReconstruction == 1 ? reconstruction : null,
                        withReconstruction == 1 ? l1Sums : null);
        for (int i = lowest; i < lowest + size; i++) {
            FeatureAccumulator a = byPart[i];
            int at = a.firstFeature - w.firstFeature;
            System.arraycopy(a.fires, 0, w.fires, at, a.d);
            System.arraycopy(a.sums, 0, w.sums, at, a.d);
            System.arraycopy(a.max, 0, w.max, at, a.d);
            System.arraycopy(
                    a.histogram,
                    0,
                    w.histogram,
                    at * FeatureAccumulator.HISTOGRAM_BINS,
                    a.d * FeatureAccumulator.HISTOGRAM_BINS);
            w.l0Sum += a.l0Sum;
        }
        return w;
    }
}
