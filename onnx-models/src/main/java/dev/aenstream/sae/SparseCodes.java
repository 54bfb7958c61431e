package dev.aenstream.sae;

/**
 * Codes of a batch in compressed-row form: row r owns entries {@code rowOffsets[r] ..
 * rowOffsets[r+1]} of {@code indices} and {@code values}; {@code activeCounts[r]} is how many
 * features fired in row r before the top-k cut (more than its entries when the row was truncated).
 */
public record SparseCodes(
        int rows, int d, int[] rowOffsets, int[] indices, float[] values, int[] activeCounts) {

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
