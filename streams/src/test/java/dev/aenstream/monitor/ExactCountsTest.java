package dev.aenstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.Activation;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The monitor's dead% and fire counts on an SAE whose L0 is far above k_max, against an offline
 * count of the same rows' dense codes computed here in double precision: equal with the encoder's
 * per-feature totals, and different (so the test can fail) from what the sparse entries alone give.
 */
class ExactCountsTest {
    private static final int N = 16;
    private static final int D = 64;
    private static final int ROWS = 200;
    private static final int K_MAX = 4;

    @Test
    void deadPctIsExactAtAnyKMax() throws Exception {
        SplittableRandom random = new SplittableRandom(3);
        SaeParameters p = SaeParameters.initialise(N, D, 11);
        float[] bEnc = p.bEnc().clone();
        // A third of the features can never fire on these rows; the rest fire often, well past
        // k_max.
        for (int j = 0; j < D; j++) bEnc[j] = j % 3 == 0 ? -100f : 0.05f;
        // Some live features fire only rarely, so cutting at k_max hides them.
        for (int j = 1; j < D; j += 9) bEnc[j] = -1.2f;
        SaeParameters sae = new SaeParameters(N, D, p.wEnc(), bEnc, p.wDec(), p.bDec());
        float[] x = new float[ROWS * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();

        long[] offline = new long[D];
        double l0 = 0;
        for (int r = 0; r < ROWS; r++) {
            for (int j = 0; j < D; j++) {
                double pre = bEnc[j];
                for (int i = 0; i < N; i++)
                    pre += (double) sae.wEnc()[j * N + i] * (x[r * N + i] - sae.bDec()[i]);
                if (pre > 1e-12) {
                    offline[j]++;
                    l0++;
                }
            }
        }
        assertThat(l0 / ROWS).as("L0 far above k_max").isGreaterThan(4 * K_MAX);
        int offlineDead = 0;
        for (long c : offline) if (c == 0) offlineDead++;

        SparseCodes codes;
        try (SaeEncoder encoder =
                SaeEncoder.open(sae, new EncoderSpec(K_MAX, false), Device.CPU, 1)) {
            codes = encoder.encode(FloatBuffer.wrap(x), ROWS);
        }
        assertThat(codes.totals()).as("the encoder graph returns per-feature totals").isNotNull();

        FeatureAccumulator exact = new FeatureAccumulator("sae", 1, D, 0);
        exact.add(codes);
        long[] fires = FeatureAccumulator.fireCounts(exact.toRecord(1000));
        assertThat(fires).isEqualTo(offline);
        assertThat(monitorDeadPct(exact)).isEqualTo(100.0 * offlineDead / D);

        FeatureAccumulator sparseOnly = new FeatureAccumulator("sae", 1, D, 0);
        sparseOnly.add(
                new SparseCodes(
                        codes.rows(),
                        codes.d(),
                        codes.rowOffsets(),
                        codes.indices(),
                        codes.values(),
                        codes.activeCounts()));
        assertThat(monitorDeadPct(sparseOnly))
                .as("counting only the entries kept at k_max overstates dead%")
                .isGreaterThan(100.0 * offlineDead / D);
    }

    @Test
    void aTopKSaeFiresOnlyWhereItsCodesAreKept() throws Exception {
        SplittableRandom random = new SplittableRandom(5);
        SaeParameters sae = SaeParameters.initialise(N, D, 13);
        float[] x = new float[ROWS * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        long[] offline = new long[D];
        double[] pre = new double[D];
        for (int r = 0; r < ROWS; r++) {
            for (int j = 0; j < D; j++) {
                pre[j] = sae.bEnc()[j];
                for (int i = 0; i < N; i++)
                    pre[j] += (double) sae.wEnc()[j * N + i] * (x[r * N + i] - sae.bDec()[i]);
            }
            double[] sorted = pre.clone();
            java.util.Arrays.sort(sorted);
            double kth = sorted[D - K_MAX];
            for (int j = 0; j < D; j++) if (pre[j] >= kth && pre[j] > 1e-12) offline[j]++;
        }
        SparseCodes codes;
        try (SaeEncoder encoder =
                SaeEncoder.open(
                        sae, new EncoderSpec(K_MAX, false, Activation.TOP_K), Device.CPU, 1)) {
            codes = encoder.encode(FloatBuffer.wrap(x), ROWS);
        }
        FeatureAccumulator acc = new FeatureAccumulator("topk", 1, D, 0);
        acc.add(codes);
        assertThat(FeatureAccumulator.fireCounts(acc.toRecord(1000))).isEqualTo(offline);
        for (int c : codes.activeCounts()) assertThat(c).isLessThanOrEqualTo(K_MAX);
    }

    private static double monitorDeadPct(FeatureAccumulator acc) {
        MonitorConfig config =
                MonitorConfig.builder()
                        .set(MonitorConfig.DEAD_TOKENS, ROWS)
                        .set(MonitorConfig.MIN_TOKENS, 0)
                        .build();
        MonitorState state = new MonitorState(D);
        state.update("sae", acc.toRecord(1000), config, 0);
        return state.deadPct();
    }
}
