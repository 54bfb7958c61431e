package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The JMH benchmark of the sparse step's kernels, run once at a small shape without JMH, so that it
 * cannot rot between the runs people make of it: its state is at the density asked for, and every
 * kernel and limit runs.
 */
class SparseKernelsBenchmarkTest {
    @Test
    void everyKernelAndLimitRunsAtTheDensityAsked() throws Exception {
        SparseKernelsBenchmark b = new SparseKernelsBenchmark();
        b.n = 32;
        b.d = 128;
        b.batch = 64;
        b.l0 = 8;
        b.threads = 2;
        b.open();
        try {
            // The setup's step ran near the state set: l0 = 8 of 128 features on each row.
            assertThat(b.entries()).isBetween(64 * 8 * 8 / 10, 64 * 8 * 12 / 10);
            b.preActivations();
            assertThat(b.entries()).isBetween(64 * 8 * 8 / 10, 64 * 8 * 12 / 10);
            b.reconstruct();
            b.featureGradients();
            b.adam();
            assertThat(b.wholeStep().l0()).isBetween(4.0, 16.0);
            b.limitEncoderMatmul();
            b.limitTriad();
        } finally {
            b.close();
        }
        assertThat(SparseKernelsBenchmark.bytesMoved(32, 128, 64, 512))
                .containsOnlyKeys("reconstruct", "featureGradients", "adam");
    }
}
