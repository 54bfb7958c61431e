package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.ElasticNet;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.runtime.Device;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The in-graph adaptive weights, step by step over the warm-up hold and the ramp, against a plain
 * reimplementation.
 */
class AdaptiveWeightsTest {

    @Test
    void theGraphsWeightsFollowTheSpecThroughHoldAndRamp() throws Exception {
        int n = 16, d = 48, batch = 32;
        TrainConfig config =
                TrainConfig.synthetic(Penalties.AEN, n, d)
                        .with(TrainConfig.BATCH, batch)
                        .toBuilder()
                        .set(AdaptiveWeights.T_WARM, 3)
                        .set(AdaptiveWeights.T_RAMP, 4)
                        .build()
                        .toBuilder()
                        .set(Penalised.LAMBDA1, 0.02)
                        .set(ElasticNet.LAMBDA2, 1e-3)
                        .build();
        config =
                config.toBuilder()
                        .set(AdaptiveWeights.GAMMA, 1.0)
                        .set(AdaptiveWeights.BETA, 0.8)
                        .set(AdaptiveWeights.P, 0.1)
                        .set(AdaptiveWeights.W_MIN, 0.05)
                        .set(AdaptiveWeights.W_MAX, 4.0)
                        .set(AdaptiveWeights.T_WARM, 3)
                        .set(AdaptiveWeights.T_RAMP, 4)
                        .set(TrainConfig.SEED, 0)
                        .set(TrainConfig.DEAD_WINDOW_TOKENS, 1000)
                        .build();
        ReferenceAdaptiveWeights reference = new ReferenceAdaptiveWeights(config);
        SplittableRandom random = new SplittableRandom(4);
        float[] x = new float[batch * n];
        try (TrainStep step = TrainStep.open(config, TrainState.initial(n, d, 9), Device.CPU, 1)) {
            for (long t = 1; t <= 10; t++) {
                for (int i = 0; i < x.length; i++)
                    x[i] = (float) (random.nextGaussian() * (1 + (i % n) * 0.2));
                StepResult r = step.run(x, 0, batch);
                float[] wt = reference.update(t, r.meanAbsH());
                assertThat(r.phi()).as("phi(%d)", t).isCloseTo(reference.phi(), offset(1e-12));
                assertThat(r.phi()).isEqualTo(t < 3 ? 0 : Math.min(1, (t - 3) / 4.0));
                float[] ema = step.state().ema();
                double l1 = 0;
                for (int j = 0; j < d; j++) {
                    assertThat((double) ema[j])
                            .as("m_%d at t=%d", j, t)
                            .isCloseTo(
                                    reference.ema()[j], offset(1e-6 + 1e-5 * reference.ema()[j]));
                    l1 += wt[j] * r.meanAbsH()[j];
                    if (t < 3) assertThat(wt[j]).isEqualTo(1f);
                }
                for (int j = 0; j < d; j++) {
                    double expected = reference.saturationIndicator(j);
                    assertThat((double) r.w()[j])
                            .as("w_%d at t=%d", j, t)
                            .isCloseTo(expected, offset(1e-5 * Math.max(1, expected)));
                }
                // The L1 term this step used is lambda1 * sum_j wt_j mean_b |h_bj|: the graph used
                // the reference's wt.
                assertThat(r.l1())
                        .as("l1 at t=%d", t)
                        .isCloseTo(
                                config.get(Penalised.LAMBDA1) * l1,
                                offset(1e-5 * Math.max(1e-3, r.l1())));
            }
        }
    }
}
