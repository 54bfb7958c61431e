package dev.aenstream.sae.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.Safetensors;
import dev.aenstream.sae.train.FeatureWindow;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.ForkJoinPool;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The paper's measurements against NumPy, each computed there by its definition (the cross-leverage
 * by least squares rather than the Gram pseudo-inverse); fixture from fixtures/geometry.py.
 */
class DictionaryGeometryTest {
    private static Safetensors.Contents f;
    private static int n;
    private static int d;
    private static int rows;
    private static SaeParameters params;
    private static DictionaryGeometry geometry;

    @BeforeAll
    static void load() throws Exception {
        Path file =
                Paths.get(
                        DictionaryGeometryTest.class
                                .getResource("/fixtures/geometry.safetensors")
                                .toURI());
        f = Safetensors.read(file);
        n = Integer.parseInt(f.metadata().get("n"));
        d = Integer.parseInt(f.metadata().get("d"));
        rows = Integer.parseInt(f.metadata().get("rows"));
        params =
                new SaeParameters(
                        n,
                        d,
                        new float[d * n],
                        new float[d],
                        f.require("in.w_dec").toFloats(),
                        new float[n]);
        geometry = DictionaryGeometry.of(params);
    }

    private static double scalar(String name) {
        return f.require("out." + name).toFloats()[0];
    }

    @Test
    void coherenceIsTheNearestNeighbourCosine() {
        DictionaryGeometry.Coherence c = geometry.coherence();
        assertThat(c.mean()).isCloseTo(scalar("coherence_mean"), within(1e-5));
        assertThat(c.max()).isCloseTo(scalar("coherence_max"), within(1e-5));
    }

    @Test
    void activeSetsMatchNumPy() {
        assertThat(d)
                .as("the fixture's D^T D is kept")
                .isLessThanOrEqualTo(DictionaryGeometry.GRAM_MAX_D);
        matchesNumPy(geometry);
    }

    @Test
    void activeSetsOfAWideDictionaryMatchNumPy() {
        // A dictionary too wide to keep D^T D takes every active set's products from the atoms.
        matchesNumPy(DictionaryGeometry.of(params, 0));
    }

    @Test
    void activeSetsDoNotDependOnTheCores() throws Exception {
        float[] codes = f.require("in.codes").toFloats();
        DictionaryGeometry.ActiveSets one = measuredWith(1, codes);
        DictionaryGeometry.ActiveSets four = measuredWith(4, codes);
        assertThat(four.condition()).isEqualTo(one.condition());
        assertThat(four.leakage()).isEqualTo(one.leakage());
        assertThat(four.crossLeverage()).containsExactly(one.crossLeverage());
    }

    private static DictionaryGeometry.ActiveSets measuredWith(int threads, float[] codes)
            throws Exception {
        ForkJoinPool pool = new ForkJoinPool(threads);
        try {
            return pool.submit(() -> geometry.activeSets(codes, rows)).get();
        } finally {
            pool.shutdown();
        }
    }

    private static void matchesNumPy(DictionaryGeometry geometry) {
        DictionaryGeometry.ActiveSets a =
                geometry.activeSets(f.require("in.codes").toFloats(), rows);
        assertThat(a.rows()).isEqualTo((int) scalar("rows"));
        assertThat(a.singularRows()).isEqualTo((int) scalar("singular_rows")).isPositive();
        assertThat(a.condition())
                .isCloseTo(scalar("condition_finite_mean"), Percentage.withPercentage(0.01));
        assertThat(a.leakage()).isCloseTo(scalar("leakage"), within(1e-5));
        float[] expected = f.require("out.cross_leverage").toFloats();
        for (int j = 0; j < d; j++) {
            if (expected[j] < 0) assertThat(a.crossLeverage()[j]).as("feature %d", j).isNaN();
            else
                assertThat(a.crossLeverage()[j])
                        .as("cross-leverage of feature %d", j)
                        .isCloseTo(expected[j], within(1e-5))
                        .isBetween(-1e-6, 1 + 1e-6);
        }
    }

    @Test
    void shrinkageIsTheRatioOfL1Norms() {
        float[] x = f.require("in.x").toFloats();
        float[] xhat = f.require("in.xhat").toFloats();
        assertThat(DictionaryGeometry.shrinkage(x, xhat, rows, n))
                .isCloseTo(scalar("shrinkage"), within(1e-6));
    }

    @Test
    void recoveryCountsDeadFeaturesThatFireInTheNextWindow() {
        int window = Integer.parseInt(f.metadata().get("window_batches"));
        int batchRows = Integer.parseInt(f.metadata().get("batch_rows"));
        float[] fires = f.require("in.fires").toFloats();
        FeatureWindow w = new FeatureWindow(d, (long) window * batchRows);
        float[] batch = new float[d];
        for (int b = 0; b < fires.length / d; b++) {
            System.arraycopy(fires, b * d, batch, 0, d);
            w.add(batchRows, batch);
        }
        assertThat(w.recoveryRate()).isCloseTo(scalar("recovery"), within(1e-6));
    }
}
