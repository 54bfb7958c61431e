package dev.aenstream.sae.train;

/** The sparse step's dot product of a row with an atom read in place. */
final class Dot {
    private Dot() {}

    /**
     * The dot product of {@code n} floats of {@code a} and of {@code b} from {@code at}, in eight
     * sums so the multiplies overlap.
     */
    static float of(float[] a, float[] b, int at, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (; i + 7 < n; i += 8) {
            s0 += a[i] * b[at + i];
            s1 += a[i + 1] * b[at + i + 1];
            s2 += a[i + 2] * b[at + i + 2];
            s3 += a[i + 3] * b[at + i + 3];
            s4 += a[i + 4] * b[at + i + 4];
            s5 += a[i + 5] * b[at + i + 5];
            s6 += a[i + 6] * b[at + i + 6];
            s7 += a[i + 7] * b[at + i + 7];
        }
        for (; i < n; i++) s0 += a[i] * b[at + i];
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }
}
