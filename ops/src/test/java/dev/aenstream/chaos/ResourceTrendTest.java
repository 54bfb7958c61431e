package dev.aenstream.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourceTrendTest {

    @Test
    void slopeIsLeastSquaresPerHourAndLeavesTheWarmUpOut() {
        ResourceTrend trend = new ResourceTrend(100);
        // During the warm-up the heap jumps; afterwards it grows 1 MiB per 360 s = 10 MiB/h, with
        // noise that averages out.
        trend.add(sample(0, 5, 100, 10));
        trend.add(sample(50, 80, 100, 10));
        double[] noise = {0.3, -0.3, 0.2, -0.2, 0.0};
        for (int i = 0; i < 5; i++) {
            double t = 100 + 360.0 * i;
            trend.add(sample(t, 20 + i + noise[i], 100, 10 + i));
        }
        Map<String, Object> s = trend.summary();
        @SuppressWarnings("unchecked")
        Map<String, Object> heap = (Map<String, Object>) s.get("live_heap_mib");
        assertThat((Double) heap.get("peak")).isEqualTo(80.0);
        assertThat((Double) heap.get("first")).isCloseTo(20.3, within(1e-9));
        // Independent reference: the slope of (i, 20 + i + noise_i) is 1 + cov(i, noise)/var(i).
        double covariance = 0;
        for (int i = 0; i < 5; i++) covariance += (i - 2) * noise[i];
        double expectedPerStep = 1 + covariance / 10.0;
        assertThat((Double) heap.get("slope_per_hour"))
                .isCloseTo(expectedPerStep * 10, within(0.01));
        @SuppressWarnings("unchecked")
        Map<String, Object> files = (Map<String, Object>) s.get("open_files");
        assertThat((Double) files.get("slope_per_hour")).isCloseTo(10.0, within(1e-9));
        @SuppressWarnings("unchecked")
        Map<String, Object> threads = (Map<String, Object>) s.get("threads");
        assertThat((Double) threads.get("slope_per_hour")).isEqualTo(0.0);
    }

    @Test
    void unreadFiguresAreLeftOutAndTooFewPointsHaveNoSlope() {
        ResourceTrend trend = new ResourceTrend(0);
        trend.add(new ProcessProbe.Sample(0, -1, 1 << 20, 3, 4));
        trend.add(new ProcessProbe.Sample(10, 2 << 20, 1 << 20, 3, 4));
        @SuppressWarnings("unchecked")
        Map<String, Object> heap = (Map<String, Object>) trend.summary().get("live_heap_mib");
        assertThat(heap.get("slope_per_hour")).isNull();
        assertThat((Double) heap.get("first")).isEqualTo(2.0);
        assertThat(ResourceTrend.slopePerSecond(List.of(new double[] {1, 1}, new double[] {1, 2})))
                .isNaN();
    }

    private static ProcessProbe.Sample sample(double t, double heapMib, int threads, int files) {
        return new ProcessProbe.Sample(
                t, Math.round(heapMib * 1024 * 1024), 200L << 20, threads, files);
    }
}
