package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FeatureWindowTest {
    @Test
    void aFeatureIsDeadWhenItHasNotFiredInTheLastWindowOfTokens() {
        FeatureWindow w = new FeatureWindow(4, 300);
        w.add(100, new float[] {1, 0, 5, 0}); // tokens 0..100
        assertThat(w.deadPct()).isEqualTo(50.0);
        w.add(100, new float[] {0, 0, 1, 0}); // ..200
        w.add(100, new float[] {0, 2, 0, 0}); // ..300: window complete
        assertThat(w.deadPct()).isEqualTo(25.0); // feature 3 never fired
        w.add(100, new float[] {0, 0, 0, 0}); // ..400: feature 0 last fired at 100 <= 400 - 300
        assertThat(w.deadPct()).isEqualTo(50.0);
        long[] histogram = w.densityHistogram();
        // Window 0..300: densities 1/300, 2/300, 6/300, 0.
        assertThat(histogram[0]).isEqualTo(1);
        assertThat(histogram[FeatureWindow.bin(1 / 300.0)]).isEqualTo(2);
        assertThat(histogram[FeatureWindow.bin(6 / 300.0)]).isEqualTo(1);
        assertThat(FeatureWindow.bin(0.5)).isEqualTo(FeatureWindow.DECADES);
        assertThat(FeatureWindow.bin(1e-9)).isEqualTo(1);
    }
}
