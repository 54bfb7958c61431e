package dev.aenstream.sae.importers;

/** Matrix layout conversions between other tools' conventions and ours. */
final class Layouts {
    private Layouts() {}

    /** The transpose of a row-major rows x cols matrix. */
    static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
        return t;
    }
}
