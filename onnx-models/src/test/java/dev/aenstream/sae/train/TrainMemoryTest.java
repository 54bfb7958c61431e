package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.sae.penalty.Penalties;
import org.junit.jupiter.api.Test;

/**
 * A run's memory is worked out from its shape, and one that does not fit is refused before anything
 * is allocated, naming what is short.
 */
class TrainMemoryTest {
    private static final long GIB = 1L << 30;

    private static TrainConfig shape(int n, int d, int batch) {
        return TrainConfig.synthetic(Penalties.AEN, n, d).toBuilder()
                .set(TrainConfig.BATCH, batch)
                .build();
    }

    @Test
    void theStateIsTwelveMatricesOfParametersAndMoments() {
        TrainMemory m = TrainMemory.of(shape(4096, 131_072, 4096));
        long matrix = 4096L * 131_072 * Float.BYTES;
        // Two slots of W_enc, W_dec and their two Adam moments: 12 matrices, plus vectors.
        assertThat(m.stateBytes()).isBetween(12 * matrix, 12 * matrix + 16L * 131_072 * 4 * 4);
        assertThat(m.startBytes()).isBetween(6 * matrix, 6 * matrix + 8L * 131_072 * 4 * 4);
        assertThat(m.workspaceBytes())
                .isEqualTo((2 * 4096L * 131_072 + 8L * 4096 * 131_072) * Float.BYTES);
    }

    @Test
    void aLlamaSizeRunIsRefusedOnThisMachinesSizeWithTheFigures() {
        TrainMemory m = TrainMemory.of(shape(4096, 131_072, 4096));
        assertThatThrownBy(() -> m.check("training SAE big", 20 * GIB, 6 * GIB, 24 * GIB))
                .isInstanceOf(TrainMemory.DoesNotFit.class)
                .hasMessageContaining("training SAE big needs about")
                .hasMessageContaining("24.0 GiB in all")
                .hasMessageContaining("smaller --d-sae");
    }

    @Test
    void aRunThatFitsTheMachineButNotTheJvmSaysWhichLimitToRaise() {
        TrainMemory m = TrainMemory.of(shape(4096, 32_768, 4096));
        assertThatThrownBy(() -> m.check("run", 4 * GIB, 6 * GIB, 24 * GIB))
                .hasMessageContaining("-XX:MaxDirectMemorySize=8g")
                .hasMessageContaining("4.0 GiB more of direct memory");
        assertThatThrownBy(() -> m.check("run", 20 * GIB, 1 * GIB, 24 * GIB))
                .hasMessageContaining("-Xmx5g");
        assertThatNoException().isThrownBy(() -> m.check("run", 20 * GIB, 6 * GIB, 24 * GIB));
    }

    @Test
    void thePythiaShapeFitsEasily() {
        TrainMemory m = TrainMemory.of(shape(512, 4096, 8192));
        assertThat(m.totalBytes()).isLessThan(2 * GIB);
        assertThatNoException().isThrownBy(() -> m.check("pythia", 4 * GIB, 4 * GIB, 24 * GIB));
    }
}
