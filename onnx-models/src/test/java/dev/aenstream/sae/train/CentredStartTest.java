package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.runtime.Device;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CentredStartTest {
    private static final int N = 8;
    private static final int D = 16;
    private static final int ROWS = 5;

    @Test
    void bDecStartsAtTheMeanOfTheRowsAndNothingElseMoves() throws Exception {
        TrainConfig config =
                TrainConfig.synthetic(Penalties.AEN, N, D).with(TrainConfig.BATCH, ROWS);
        float[] x = new float[2 * N + ROWS * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) (3 + Math.cos(0.7 * i));
        try (Trainer trainer = Trainer.start("aen", config, Device.CPU, 1)) {
            TrainState before = trainer.trainStep().state();
            trainer.centreDecoderBias(x, 2 * N, ROWS);
            TrainState after = trainer.trainStep().state();
            SaeParameters p = after.params();
            for (int i = 0; i < N; i++) {
                int column = i;
                double mean =
                        IntStream.range(0, ROWS)
                                .mapToDouble(r -> x[2 * N + r * N + column])
                                .average()
                                .orElseThrow();
                assertThat((double) p.bDec()[i]).isCloseTo(mean, within(1e-5));
            }
            assertThat(p.wEnc()).isEqualTo(before.params().wEnc());
            assertThat(p.bEnc()).isEqualTo(before.params().bEnc());
            assertThat(p.wDec()).isEqualTo(before.params().wDec());
            assertThat(after.adamM()).isDeepEqualTo(before.adamM());
            assertThat(after.ema()).isEqualTo(before.ema());
            assertThat(after.step()).isZero();
        }
    }

    @Test
    void onlyAFreshRunCanBeCentred() throws Exception {
        TrainConfig config =
                TrainConfig.synthetic(Penalties.parse("l1"), N, D).with(TrainConfig.BATCH, ROWS);
        float[] x = new float[ROWS * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        try (Trainer trainer = Trainer.start("l1", config, Device.CPU, 1)) {
            trainer.step(x, 0, ROWS);
            assertThatThrownBy(() -> trainer.centreDecoderBias(x, 0, ROWS))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("before the first step");
        }
    }
}
