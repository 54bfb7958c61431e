package dev.aenstream.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.AuxK;
import dev.aenstream.sae.penalty.Ghost;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.Penalty;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.train.TrainConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The text experiment's settings: the language-model defaults, scaled where they count steps. */
class TextExperimentPlanTest {
    private static TextExperiment.Plan plan(List<Penalty> archs, int steps) {
        return new TextExperiment.Plan(
                null, "m", "h", archs, 1536, 32, steps, 1024, 7, 8, 1, Device.CPU);
    }

    @Test
    void countsInStepsAndTokensScaleWithTheRun() {
        TextExperiment.Plan p = plan(Penalties.ALL, 4000);
        assertThat(p.windowTokens()).isEqualTo(1000L * 1024);
        TrainConfig aen = p.config(Penalties.parse("aen"), 384);
        assertThat(aen.get(AdaptiveWeights.T_WARM)).isEqualTo(800L);
        assertThat(aen.get(AdaptiveWeights.T_RAMP)).isEqualTo(400L);
        assertThat(aen.get(TrainConfig.BATCH)).isEqualTo(1024);
        assertThat(aen.get(TrainConfig.SEED)).isEqualTo(7L);
        assertThat(aen.get(TrainConfig.DEAD_WINDOW_TOKENS)).isEqualTo(1_024_000L);
        assertThat(aen.d()).isEqualTo(1536);
        // The language-model profile's own defaults stay where nothing counts steps.
        assertThat(aen.get(AdaptiveWeights.BETA))
                .isEqualTo(
                        TrainConfig.languageModel(Penalties.AEN, 384, 1536)
                                .get(AdaptiveWeights.BETA));
        TrainConfig auxk = p.config(Penalties.parse("auxk"), 384);
        assertThat(auxk.get(TopK.K)).isEqualTo(32);
        assertThat(auxk.get(AuxK.DEAD_TOKENS)).isEqualTo(1_024_000L);
        assertThat(p.config(Penalties.parse("ghost"), 384).get(Ghost.MIN_STEPS)).isEqualTo(800L);
        assertThat(p.key(Penalties.AEN))
                .isEqualTo("text/m/h/d=1536/l0=32/steps=4000/batch=1024/aen/seed=7");
    }

    @Test
    void refusesWhatCannotRun() {
        assertThatThrownBy(() -> plan(List.of(), 4000)).hasMessageContaining("--archs");
        assertThatThrownBy(() -> plan(Penalties.ALL, 3)).hasMessageContaining("--steps");
    }
}
