package dev.aenstream.sae.train;

/**
 * One thread's scratch rows of width n for {@link SparseStep}'s kernels. They copy each vector to
 * the start of one first: the JIT vectorises a loop whose arrays share one index, and not one whose
 * offsets differ.
 */
final class StepScratch {
    final float[] x, a, b, t, u;

    StepScratch(int n) {
        x = new float[n];
        a = new float[n];
        b = new float[n];
        t = new float[n];
        u = new float[n];
    }
}
