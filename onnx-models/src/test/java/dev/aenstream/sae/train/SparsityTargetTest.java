package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.Penalties;
import org.junit.jupiter.api.Test;

class SparsityTargetTest {
    private static final TrainConfig AEN =
            TrainConfig.synthetic(Penalties.AEN, 32, 64).with(AdaptiveWeights.T_WARM, 700L);

    @Test
    void aenIsMatchedOnlyAfterItsWarmUp() {
        SparsityTarget target = SparsityTarget.afterWarmUp(16, 500, AEN);
        assertThat(target.settleSteps()).isEqualTo(700);
        assertThat(target.calibrates(700)).isFalse();
        assertThat(target.calibrates(701)).isTrue();
        assertThat(SparsityTarget.afterWarmUp(16, 900, AEN).settleSteps())
                .as("a later settling wins")
                .isEqualTo(900);
    }

    @Test
    void otherSaesKeepTheirSettling() {
        TrainConfig alasso =
                TrainConfig.synthetic(Penalties.parse("alasso"), 32, 64)
                        .with(AdaptiveWeights.T_WARM, 700L);
        assertThat(SparsityTarget.afterWarmUp(16, 500, alasso).settleSteps())
                .as("held, adaptive lasso starved more")
                .isEqualTo(500);
        TrainConfig l1 = TrainConfig.synthetic(Penalties.parse("l1"), 32, 64);
        assertThat(SparsityTarget.holdSteps(l1)).isZero();
        assertThat(SparsityTarget.afterWarmUp(16, 500, l1).settleSteps()).isEqualTo(500);
        assertThat(SparsityTarget.afterWarmUp(16, 0, l1).calibrates(1)).isTrue();
    }
}
