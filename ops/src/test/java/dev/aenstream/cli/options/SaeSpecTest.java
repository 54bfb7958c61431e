package dev.aenstream.cli.options;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.online.SaeDefinition;
import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.train.TrainConfig;
import org.junit.jupiter.api.Test;

/** {@code --sae ID[:ARCH][,key=value...]} against the declared settings. */
class SaeSpecTest {
    private final TrainConfig base = TrainConfig.languageModel(Penalties.AEN, 64, 256);

    @Test
    void keysAreTheSettingsNamesOrFlags() {
        SaeDefinition d =
                SaeSpec.parse("a:alasso,lambda1=0.004,w_min=0.1,warmup=7,tRamp=9,d_sae=512", base);
        assertThat(d.saeId()).isEqualTo("a");
        TrainConfig c = d.config();
        assertThat(c.penalty().label()).isEqualTo("alasso");
        assertThat(c.get(Penalised.LAMBDA1)).isEqualTo(0.004);
        assertThat(c.get(AdaptiveWeights.W_MIN)).isEqualTo(0.1);
        assertThat(c.get(AdaptiveWeights.T_WARM)).isEqualTo(7L);
        assertThat(c.get(AdaptiveWeights.T_RAMP)).isEqualTo(9L);
        assertThat(c.d()).isEqualTo(512);
    }

    @Test
    void theIdNamesTheArchitectureWhenNoneIsGiven() {
        assertThat(SaeSpec.parse("topk,k=8", base).config().get(TopK.K)).isEqualTo(8);
        assertThat(SaeSpec.parse("mine", base).config().penalty()).isSameAs(Penalties.AEN);
    }

    @Test
    void aBadKeyOrValueSaysWhichAndWhy() {
        assertThatThrownBy(() -> SaeSpec.parse("a:aen,lambda=1", base))
                .hasMessageStartingWith(
                        "--sae a:aen,lambda=1: unknown setting 'lambda' (batch, lr");
        assertThatThrownBy(() -> SaeSpec.parse("a:aen,gamma=x", base))
                .hasMessage("--sae a:aen,gamma=x: gamma must be a number, got 'x'");
        assertThatThrownBy(() -> SaeSpec.parse("a:aen,p=2", base))
                .hasMessage("--sae a:aen,p=2: p must be in (0, 1], got 2.0");
        assertThatThrownBy(() -> SaeSpec.parse("a:topk,k=300", base))
                .hasMessageContaining("TopK needs 1 <= k <= D, got k=300 for D=256");
        assertThatThrownBy(() -> SaeSpec.parse("a:relu", base))
                .hasMessageContaining(
                        "architecture must be aen, l1, elastic, alasso, topk, ghost or auxk");
    }
}
