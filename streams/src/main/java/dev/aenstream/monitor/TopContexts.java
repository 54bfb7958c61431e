package dev.aenstream.monitor;

import dev.aenstream.avro.FeatureContext;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.sae.SparseCodes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The top activating tokens of each feature of one SAE version. An encoder task picks, per batch,
 * the tokens that may be among a feature's top k ({@link #candidates}); the statistics topology
 * merges candidates from every task and instance ({@link #merge}) into one record per block of
 * features.
 *
 * <p>Each block's record holds the newest version's contexts only (the newer version wins a merge):
 * what is kept is bounded by D x k per SAE, whatever the number of versions.
 *
 * <p>Exact in any order and under exactly-once: a task's threshold is the k-th best value it has
 * seen, never above the k-th best of all tokens, so no token of the true top k is held back;
 * merging keeps the top k under one total order (value, then producer, sequence and row) and takes
 * a token seen twice once. The task's thresholds live in memory only: after a restart it sends more
 * candidates, never fewer.
 */
public final class TopContexts {
    /** Features per record: a block of full contexts stays well under the record limit. */
    public static final int BLOCK_SIZE = 256;

    /** Best first: by value, then by the token's identity, so ties break the same everywhere. */
    static final Comparator<FeatureContext> ORDER =
            Comparator.comparingInt(FeatureContext::getFeature)
                    .thenComparing(FeatureContext::getValue, Comparator.reverseOrder())
                    .thenComparing(c -> c.getProducerId().toString())
                    .thenComparingLong(FeatureContext::getSequence)
                    .thenComparingInt(FeatureContext::getRow);

    private final String saeId;
    private final long version;
    private final int k;
    private final int chars;

    /** Per feature the k best values this task has seen (the first count[j] slots). */
    private final float[] kept;

    private final int[] count;

    /** Per feature the least of its kept values once it holds k. */
    private final float[] floor;

    /**
     * @param d the whole dictionary's size (codes carry global feature ids)
     * @param k contexts kept per feature
     * @param chars characters of text kept on each side of a token
     */
    public TopContexts(String saeId, long version, int d, int k, int chars) {
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
        this.saeId = saeId;
        this.version = version;
        this.k = k;
        this.chars = chars;
        this.kept = new float[Math.multiplyExact(d, k)];
        this.count = new int[d];
        this.floor = new float[d];
    }

    public long version() {
        return version;
    }

    /**
     * The tokens of one batch that may be among their features' top k, at most k per feature, with
     * their text: one record per block of features that has any.
     */
    public List<FeatureContexts> candidates(
            SparseCodes codes, RowOrigins origins, String producerId, long sequence) {
        int[] offsets = codes.rowOffsets();
        int[] idx = codes.indices();
        float[] val = codes.values();
        int size = 0;
        long[] picked = new long[Math.min(codes.entries(), 1024)];
        for (int r = 0; r < codes.rows(); r++) {
            for (int e = offsets[r]; e < offsets[r + 1]; e++) {
                float v = val[e];
                // A feature that did not fire has no context; NaN never ranks.
                if (!(v > 0)) continue;
                if (!offer(idx[e], v)) continue;
                if (size == picked.length) picked = Arrays.copyOf(picked, size * 2);
                picked[size++] = e;
            }
        }
        if (size == 0) return List.of();
        int[] rowOf = rowsOf(offsets, codes.rows());
        List<FeatureContext> all = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            int e = (int) picked[i];
            int r = rowOf[e];
            RowOrigins.Context text = origins.context(r, chars);
            all.add(
                    FeatureContext.newBuilder()
                            .setFeature(idx[e])
                            .setValue(val[e])
                            .setProducerId(producerId)
                            .setSequence(sequence)
                            .setRow(r)
                            .setTokenId(origins.tokenId(r))
                            .setDocumentId(origins.documentId(r))
                            .setTextStart(origins.textStart(r))
                            .setText(text == null ? null : text.text())
                            .setHighlightStart(text == null ? 0 : text.highlightStart())
                            .setHighlightEnd(text == null ? 0 : text.highlightEnd())
                            .build());
        }
        return blocks(saeId, version, k, best(all, k));
    }

    /** Whether value v of feature j may be among its top k; keeps it among the task's best. */
    private boolean offer(int j, float v) {
        int base = j * k;
        if (count[j] < k) {
            kept[base + count[j]++] = v;
            if (count[j] == k) floor[j] = min(base);
            return true;
        }
        if (v < floor[j]) return false;
        if (v > floor[j]) {
            for (int s = base; s < base + k; s++) {
                if (kept[s] == floor[j]) {
                    kept[s] = v;
                    break;
                }
            }
            floor[j] = min(base);
        }
        // A tie with the floor may still win on identity, so it goes on as a candidate.
        return true;
    }

    private float min(int base) {
        float m = Float.POSITIVE_INFINITY;
        for (int s = base; s < base + k; s++) m = Math.min(m, kept[s]);
        return m;
    }

    private static int[] rowsOf(int[] offsets, int rows) {
        int[] rowOf = new int[offsets[rows]];
        for (int r = 0; r < rows; r++) Arrays.fill(rowOf, offsets[r], offsets[r + 1], r);
        return rowOf;
    }

    /** Per feature the k best of {@code contexts} under {@link #ORDER}, a token once. */
    private static List<FeatureContext> best(List<FeatureContext> contexts, int k) {
        List<FeatureContext> sorted = new ArrayList<>(contexts);
        sorted.sort(ORDER);
        List<FeatureContext> out = new ArrayList<>(sorted.size());
        int feature = -1;
        int taken = 0;
        FeatureContext last = null;
        for (FeatureContext c : sorted) {
            if (c.getFeature() != feature) {
                feature = c.getFeature();
                taken = 0;
            } else if (sameToken(c, last)) {
                continue;
            }
            last = c;
            if (taken++ < k) out.add(c);
        }
        return out;
    }

    private static boolean sameToken(FeatureContext a, FeatureContext b) {
        return a.getSequence() == b.getSequence()
                && a.getRow() == b.getRow()
                && a.getProducerId().toString().equals(b.getProducerId().toString());
    }

    private static List<FeatureContexts> blocks(
            String saeId, long version, int k, List<FeatureContext> sorted) {
        Map<Integer, List<FeatureContext>> byBlock = new TreeMap<>();
        for (FeatureContext c : sorted)
            byBlock.computeIfAbsent(c.getFeature() / BLOCK_SIZE, b -> new ArrayList<>()).add(c);
        List<FeatureContexts> out = new ArrayList<>(byBlock.size());
        byBlock.forEach(
                (block, contexts) ->
                        out.add(
                                FeatureContexts.newBuilder()
                                        .setSaeId(saeId)
                                        .setVersion(version)
                                        .setBlock(block)
                                        .setBlockSize(BLOCK_SIZE)
                                        .setK(k)
                                        .setContexts(contexts)
                                        .build()));
        return out;
    }

    /**
     * Two records of one block as one: per feature the k best of both, a token once. Of two
     * versions the newer wins whole: a block's record holds one version's contexts, so the topic
     * and the merging store stay bounded by D x k however many versions are published.
     */
    public static FeatureContexts merge(FeatureContexts a, FeatureContexts b) {
        if (!a.getSaeId().toString().equals(b.getSaeId().toString())
                || a.getBlock() != b.getBlock()
                || a.getBlockSize() != b.getBlockSize())
            throw new IllegalArgumentException(
                    "contexts of different SAEs or blocks: "
                            + key(a.getSaeId().toString(), a.getBlock())
                            + " and "
                            + key(b.getSaeId().toString(), b.getBlock()));
        if (a.getVersion() != b.getVersion()) return a.getVersion() > b.getVersion() ? a : b;
        return gather(List.of(a, b));
    }

    /**
     * Records of one block and version as one, in a single pass: per feature the k best of all of
     * them, a token once.
     */
    public static FeatureContexts gather(List<FeatureContexts> records) {
        FeatureContexts first = records.get(0);
        int k = 0;
        List<FeatureContext> all = new ArrayList<>();
        for (FeatureContexts r : records) {
            if (r.getVersion() != first.getVersion() || r.getBlock() != first.getBlock())
                throw new IllegalArgumentException("records of different versions or blocks");
            k = Math.max(k, r.getK());
            all.addAll(r.getContexts());
        }
        // A fresh builder, not a copy of a record: Avro's deep copy would instantiate the nested
        // records by name, which its class security allows only once AvroSerde has declared ours
        // trusted.
        return FeatureContexts.newBuilder()
                .setSaeId(first.getSaeId())
                .setVersion(first.getVersion())
                .setBlock(first.getBlock())
                .setBlockSize(first.getBlockSize())
                .setK(k)
                .setContexts(best(all, k))
                .build();
    }

    /** The key of a block's record: {@code saeId/bBLOCK}; the record names its version. */
    public static String key(String saeId, int block) {
        return saeId + "/b" + block;
    }

    /**
     * The key of a block's record as a shard of the dictionary writes it ({@code
     * saeId#i/S/bBLOCK}): a block that spans two shards comes from two applications, and compaction
     * must keep both. Readers merge them with {@link #merge}.
     */
    public static String key(String saeId, int shard, int shards, int block) {
        return key(SaeStates.key(saeId, shard, shards), block);
    }
}
