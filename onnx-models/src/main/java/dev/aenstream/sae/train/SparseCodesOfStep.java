package dev.aenstream.sae.train;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.FloatBuffer;

/**
 * One batch's active codes, read off the pre-activations: by row (compressed rows: each entry's
 * feature, code h and, later, the loss's gradient on it) and by feature (each feature's entries),
 * so that row work and feature work both run without two threads writing one place. The arrays grow
 * with the densest batch seen and are reused.
 */
final class SparseCodesOfStep {
    static final String PRE = "pre";
    static final String KTH = "kth";

    private final int d;
    private final FloatBuffer pre;
    final int[] rowStart;
    final int[] colStart;
    int[] feature = new int[0];
    int[] row = new int[0];
    float[] h = new float[0];
    float[] dPre = new float[0];
    int[] colEntry = new int[0];
    private final int[] colFill;
    private int entries;

    SparseCodesOfStep(int batch, int d) {
        this(
                batch,
                d,
                java.nio.ByteBuffer.allocateDirect(
                                Math.multiplyExact(Math.multiplyExact(batch, d), 4))
                        .order(java.nio.ByteOrder.nativeOrder())
                        .asFloatBuffer());
    }

    private SparseCodesOfStep(int batch, int d, FloatBuffer pre) {
        this.d = d;
        this.pre = pre;
        this.rowStart = new int[batch + 1];
        this.colStart = new int[d + 1];
        this.colFill = new int[d];
    }

    /**
     * Codes of their own read off these codes' pre-activations (AuxK's dead codes, beside the main
     * ones).
     */
    SparseCodesOfStep sharingPreActivations() {
        return new SparseCodesOfStep(rowStart.length - 1, d, pre);
    }

    /**
     * Per row, the {@code k}-th largest pre-activation among the features {@code among} marks, or
     * negative infinity where fewer are marked: with {@link #extract}, each row's k largest of
     * them, as the dense graph's TopK over masked pre-activations picks them.
     */
    float[] kthAmong(int rows, int k, boolean[] among, StepThreads threads) {
        float[] kth = new float[rows];
        int marked = 0;
        for (boolean m : among) if (m) marked++;
        if (marked < k) {
            java.util.Arrays.fill(kth, Float.NEGATIVE_INFINITY);
            return kth;
        }
        int count = Math.min(threads.count(), rows);
        int size = marked;
        threads.forPieces(
                count,
                p -> {
                    float[] row = new float[d];
                    float[] values = new float[size];
                    for (int b = from(p, count, rows); b < from(p + 1, count, rows); b++) {
                        pre.get(b * d, row, 0, d);
                        int at = 0;
                        for (int j = 0; j < d; j++) if (among[j]) values[at++] = row[j];
                        kth[b] = largest(values, size, k);
                    }
                });
        return kth;
    }

    /** The {@code k}-th largest of the first {@code size} values (which it reorders). */
    static float largest(float[] values, int size, int k) {
        int lo = 0, hi = size - 1, want = k - 1;
        while (lo < hi) {
            float pivot = values[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (values[i] > pivot) i++;
                while (values[j] < pivot) j--;
                if (i <= j) {
                    float t = values[i];
                    values[i++] = values[j];
                    values[j--] = t;
                }
            }
            if (want <= j) hi = j;
            else if (want >= i) lo = i;
            else return values[want];
        }
        return values[want];
    }

    /** The pre-activations of {@code rows} rows, as the tensor ONNX Runtime writes them into. */
    OnnxTensor preTensor(OrtEnvironment env, int rows) throws OrtException {
        FloatBuffer view = pre.duplicate().position(0).limit(rows * d).slice();
        return OnnxTensor.createTensor(env, view, new long[] {rows, d});
    }

    int entries() {
        return entries;
    }

    /** One thread's rows' entries while they are read, before they are laid side by side. */
    private static final class Piece {
        float[] row;
        int[] feature = new int[0];
        float[] h = new float[0];
        int entries;

        /** Room for {@code more} entries beyond those read: a row adds at most D. */
        void reserve(int more) {
            if (entries + more <= feature.length) return;
            int size = Math.max(entries + more, feature.length * 2);
            feature = java.util.Arrays.copyOf(feature, size);
            h = java.util.Arrays.copyOf(h, size);
        }
    }

    private Piece[] pieces = new Piece[0];

    /**
     * Reads the active entries off the pre-activations of {@code rows} rows: {@code pre > 0}, and
     * at least the row's k-th largest when {@code kth} is given (TopK, ties kept as the dense graph
     * keeps them); {@code bias}, when given, is added to each row first (the product left it out).
     * One pass over the pre-activations, each thread a block of rows.
     */
    void extract(int rows, float[] kth, float[] bias, StepThreads threads) {
        extract(rows, kth, bias, null, threads);
    }

    /**
     * As {@link #extract(int, float[], float[], StepThreads)}, of the features {@code among} marks
     * (all when null).
     */
    void extract(int rows, float[] kth, float[] bias, boolean[] among, StepThreads threads) {
        int count = Math.min(threads.count(), rows);
        if (pieces.length != count) {
            pieces = new Piece[count];
            for (int p = 0; p < count; p++) pieces[p] = new Piece();
        }
        threads.forPieces(
                count,
                p -> {
                    Piece piece = pieces[p];
                    if (piece.row == null) piece.row = new float[d];
                    float[] values = piece.row;
                    piece.entries = 0;
                    for (int b = from(p, count, rows); b < from(p + 1, count, rows); b++) {
                        pre.get(b * d, values, 0, d);
                        if (bias != null) for (int j = 0; j < d; j++) values[j] += bias[j];
                        // Active means positive and, under a cut, at least the k-th value.
                        float floor = kth == null ? 0 : Math.max(0, kth[b]);
                        piece.reserve(d);
                        int[] features = piece.feature;
                        float[] hs = piece.h;
                        int at = piece.entries;
                        int before = at;
                        for (int j = 0; j < d; j++) {
                            float v = values[j];
                            if ((v > floor || (v == floor && v > 0))
                                    && (among == null || among[j])) {
                                features[at] = j;
                                hs[at++] = v;
                            }
                        }
                        piece.entries = at;
                        rowStart[b + 1] = at - before;
                    }
                });
        rowStart[0] = 0;
        for (int b = 0; b < rows; b++) rowStart[b + 1] += rowStart[b];
        entries = rowStart[rows];
        if (feature.length < entries) grow(entries);
        threads.forPieces(
                count,
                p -> {
                    Piece piece = pieces[p];
                    int first = from(p, count, rows);
                    int at = rowStart[first];
                    System.arraycopy(piece.feature, 0, feature, at, piece.entries);
                    System.arraycopy(piece.h, 0, h, at, piece.entries);
                    for (int b = first; b < from(p + 1, count, rows); b++)
                        java.util.Arrays.fill(row, rowStart[b], rowStart[b + 1], b);
                });
        java.util.Arrays.fill(colStart, 0);
        for (int k = 0; k < entries; k++) colStart[feature[k] + 1]++;
        for (int j = 0; j < d; j++) colStart[j + 1] += colStart[j];
        System.arraycopy(colStart, 0, colFill, 0, d);
        for (int k = 0; k < entries; k++) colEntry[colFill[feature[k]]++] = k;
    }

    /** The first row of piece {@code p} of {@code count} over {@code rows} rows. */
    private static int from(int p, int count, int rows) {
        return (int) ((long) rows * p / count);
    }

    /** Room for {@code needed} entries, with some to spare so growth is rare. */
    private void grow(int needed) {
        int size = Math.max(needed, (int) Math.min(Integer.MAX_VALUE - 8, needed * 5L / 4));
        feature = new int[size];
        row = new int[size];
        h = new float[size];
        dPre = new float[size];
        colEntry = new int[size];
    }
}
