package dev.aenstream.sae;

/**
 * An SAE's decoder, {@code xhat = W_dec h + b_dec}, kept with atoms as rows (D x n) so that
 * decoding sparse codes reads each active atom contiguously: the cost is entries x n, not D x n.
 * The atoms lie in blocks of whole atoms, so neither a decoder's size nor the heap's largest free
 * region limits D x n.
 */
public final class SaeDecoder {
    /** Names of the decoder's tensors when an encoder graph carries them (unused by its nodes). */
    public static final String ATOMS = "decoder.atoms";

    public static final String B_DEC = "decoder.b_dec";

    /** Floats per block of atoms (64 MiB): large enough to stream, small enough to place. */
    private static final int BLOCK_FLOATS = 1 << 24;

    private final int n;
    private final int d;
    private final int atomsPerBlock;
    private final float[][] blocks;
    private final float[] bDec;

    private SaeDecoder(int n, int d, float[] bDec) {
        if (n <= 0 || d <= 0 || bDec.length != n)
            throw new IllegalArgumentException(
                    "a decoder needs n, D > 0 and n biases, has n="
                            + n
                            + " D="
                            + d
                            + " and "
                            + bDec.length);
        this.n = n;
        this.d = d;
        this.bDec = bDec;
        this.atomsPerBlock = Math.max(1, BLOCK_FLOATS / n);
        int count = (d + atomsPerBlock - 1) / atomsPerBlock;
        this.blocks = new float[count][];
        for (int b = 0; b < count; b++)
            blocks[b] = new float[Math.min(atomsPerBlock, d - b * atomsPerBlock) * n];
    }

    public static SaeDecoder of(SaeParameters p) {
        int n = p.n();
        int d = p.d();
        SaeDecoder decoder = new SaeDecoder(n, d, p.bDec().clone());
        float[] wDec = p.wDec();
        for (int j = 0; j < d; j++) {
            float[] block = decoder.blocks[j / decoder.atomsPerBlock];
            int base = (j % decoder.atomsPerBlock) * n;
            for (int i = 0; i < n; i++) block[base + i] = wDec[i * d + j];
        }
        return decoder;
    }

    public int n() {
        return n;
    }

    public int d() {
        return d;
    }

    /** Reconstructs row {@code r} of the codes into {@code out} (n values). */
    public void decode(SparseCodes codes, int r, float[] out) {
        System.arraycopy(bDec, 0, out, 0, n);
        int[] idx = codes.indices();
        float[] val = codes.values();
        for (int e = codes.rowOffsets()[r]; e < codes.rowOffsets()[r + 1]; e++) {
            float[] atoms = blocks[idx[e] / atomsPerBlock];
            int base = (idx[e] % atomsPerBlock) * n;
            float v = val[e];
            // A plain float loop over a contiguous atom: the JIT turns it into SIMD.
            for (int i = 0; i < n; i++) out[i] += v * atoms[base + i];
        }
    }

    /**
     * The atoms [D, n], row-major, in blocks of whole atoms: for writing and reading them in pieces
     * (the arrays themselves, not copies).
     */
    public float[][] blocks() {
        return blocks;
    }

    /** The decoder bias b_dec [n] (the array itself). */
    public float[] bias() {
        return bDec;
    }

    /** A decoder of zeros, to be filled through {@link #blocks()} and {@link #bias()}. */
    public static SaeDecoder zeros(int n, int d) {
        return new SaeDecoder(n, d, new float[n]);
    }
}
