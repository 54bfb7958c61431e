package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.runtime.Device;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SkipStepTest {
    @ParameterizedTest
    @ValueSource(strings = {"aen", "topk", "ghost", "auxk"})
    void aStepWithANonFiniteLossChangesNothing(String arch) throws Exception {
        int n = 8, d = 16;
        TrainConfig config =
                TrainConfig.languageModel(Penalties.parse(arch), n, d).toBuilder()
                        .set(TrainConfig.BATCH, 4)
                        .set(TopK.K, 4)
                        .build();
        float[] x = new float[4 * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        try (TrainStep step = TrainStep.open(config, TrainState.initial(n, d, 1), Device.CPU, 1)) {
            assertThat(step.run(x, 0, 4).applied()).isTrue();
            TrainState before = step.state();
            x[5] = Float.NaN;
            StepResult skipped = step.run(x, 0, 4);
            assertThat(skipped.applied()).isFalse();
            assertThat(step.step()).isEqualTo(1);
            assertThat(step.state()).isEqualTo(before);
            x[5] = 0.5f;
            assertThat(step.run(x, 0, 4).applied()).isTrue();
            assertThat(step.step()).isEqualTo(2);
        }
    }
}
