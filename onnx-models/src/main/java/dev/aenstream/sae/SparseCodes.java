package dev.aenstream.sae;

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

    /** Mean number of active features per row, counted before the top-k cut. */
    public double meanL0() {
        if (rows == 0) return 0;
        long sum = 0;
        for (int c : activeCounts) sum += c;
        return (double) sum / rows;
    }
}
