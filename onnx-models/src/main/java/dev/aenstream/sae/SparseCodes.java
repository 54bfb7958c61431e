package dev.aenstream.sae;

import java.util.ArrayList;
import java.util.List;

/**
 * Codes of a batch in compressed-row form: row r owns entries {@code rowOffsets[r] ..
 * rowOffsets[r+1]} of {@code indices} and {@code values}; {@code activeCounts[r]} is how many
 * features fired in row r before the top-k cut (more than its entries when the row was truncated).
 * {@code totals} are the batch's per-feature figures before the cut, when the encoder computed them
 * (null for codes read back from the wire).
 */
public record SparseCodes(
        int rows,
        int d,
        int[] rowOffsets,
        int[] indices,
        float[] values,
        int[] activeCounts,
        FeatureTotals totals) {

    /**
     * Per-feature figures of a batch taken from the dense codes, before the top-k cut, so that
     * counts are exact at any k_max: rows on which each feature fired (h > 1e-12), the sum and the
     * largest of its activations. Each array has D values.
     */
    public record FeatureTotals(float[] fires, float[] sums, float[] max) {}

    /** Codes without per-feature totals. */
    public SparseCodes(
            int rows, int d, int[] rowOffsets, int[] indices, float[] values, int[] activeCounts) {
        this(rows, d, rowOffsets, indices, values, activeCounts, null);
    }

    public int entries() {
        return rowOffsets[rows];
    }

    /** The dense code row r, for tests and small tools. */
    public float[] denseRow(int r) {
        float[] dense = new float[d];
        for (int e = rowOffsets[r]; e < rowOffsets[r + 1]; e++) dense[indices[e]] = values[e];
        return dense;
    }

    /**
     * These codes of a dictionary slice as codes of the whole: feature ids shifted by {@code
     * first}, in a dictionary of {@code d}; the per-feature totals stay the slice's.
     */
    public SparseCodes inDictionary(int first, int d) {
        int[] shifted = new int[indices.length];
        for (int e = 0; e < shifted.length; e++) shifted[e] = indices[e] + first;
        return new SparseCodes(rows, d, rowOffsets, shifted, values, activeCounts, totals);
    }

    /** Mean number of active features per row, counted before the top-k cut. */
    public double meanL0() {
        if (rows == 0) return 0;
        long sum = 0;
        for (int c : activeCounts) sum += c;
        return (double) sum / rows;
    }

    /**
     * The codes of a whole dictionary from its shards' codes of the same rows: each row's entries
     * of all shards, shifted to global feature ids ({@code firstFeatures}), the {@code k} largest
     * kept (ties by feature id); active counts add up, and per-feature totals (when every shard has
     * them) are laid side by side. The codes are exact, as each shard's top-k holds every global
     * top-k entry of its slice; the totals too, except a TopK SAE's, whose features fire only above
     * the global k-th value, which no shard knows.
     */
    public static SparseCodes merge(List<SparseCodes> shards, int[] firstFeatures, int d, int k) {
        if (shards.isEmpty() || shards.size() != firstFeatures.length)
            throw new IllegalArgumentException("one first feature per shard, and shards to merge");
        int rows = shards.get(0).rows();
        for (SparseCodes s : shards)
            if (s.rows() != rows)
                throw new IllegalArgumentException(
                        "shards of one batch have the same rows: " + s.rows() + " vs " + rows);
        int[] rowOffsets = new int[rows + 1];
        int[] activeCounts = new int[rows];
        List<int[]> rowIndices = new ArrayList<>(rows);
        List<float[]> rowValues = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            List<long[]> entries = new ArrayList<>();
            for (int s = 0; s < shards.size(); s++) {
                SparseCodes c = shards.get(s);
                activeCounts[r] += c.activeCounts()[r];
                for (int e = c.rowOffsets()[r]; e < c.rowOffsets()[r + 1]; e++)
                    entries.add(
                            new long[] {
                                c.indices()[e] + (long) firstFeatures[s],
                                Float.floatToRawIntBits(c.values()[e])
                            });
            }
            entries.sort(
                    (a, b) -> {
                        int byValue =
                                Float.compare(
                                        Float.intBitsToFloat((int) b[1]),
                                        Float.intBitsToFloat((int) a[1]));
                        return byValue != 0 ? byValue : Long.compare(a[0], b[0]);
                    });
            int kept = Math.min(k, entries.size());
            int[] idx = new int[kept];
            float[] val = new float[kept];
            for (int e = 0; e < kept; e++) {
                idx[e] = (int) entries.get(e)[0];
                val[e] = Float.intBitsToFloat((int) entries.get(e)[1]);
            }
            rowIndices.add(idx);
            rowValues.add(val);
            rowOffsets[r + 1] = rowOffsets[r] + kept;
        }
        int[] indices = new int[rowOffsets[rows]];
        float[] values = new float[rowOffsets[rows]];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(
                    rowIndices.get(r), 0, indices, rowOffsets[r], rowIndices.get(r).length);
            System.arraycopy(rowValues.get(r), 0, values, rowOffsets[r], rowValues.get(r).length);
        }
        return new SparseCodes(
                rows,
                d,
                rowOffsets,
                indices,
                values,
                activeCounts,
                mergeTotals(shards, firstFeatures, d));
    }

    private static FeatureTotals mergeTotals(List<SparseCodes> shards, int[] firstFeatures, int d) {
        float[] fires = new float[d];
        float[] sums = new float[d];
        float[] max = new float[d];
        for (int s = 0; s < shards.size(); s++) {
            FeatureTotals t = shards.get(s).totals();
            if (t == null) return null;
            System.arraycopy(t.fires(), 0, fires, firstFeatures[s], t.fires().length);
            System.arraycopy(t.sums(), 0, sums, firstFeatures[s], t.sums().length);
            System.arraycopy(t.max(), 0, max, firstFeatures[s], t.max().length);
        }
        return new FeatureTotals(fires, sums, max);
    }
}
