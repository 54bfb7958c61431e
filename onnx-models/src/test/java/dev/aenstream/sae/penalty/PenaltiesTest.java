package dev.aenstream.sae.penalty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.sae.onnx.Activation;
import dev.aenstream.sae.onnx.WeightPrecision;
import dev.aenstream.sae.setting.Profile;
import dev.aenstream.sae.setting.SettingValues;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What each penalty says about itself, against docs/aen-sae.md's table of the architectures. */
class PenaltiesTest {
    private static SettingValues values() {
        List<dev.aenstream.sae.setting.Setting<?>> all = new ArrayList<>(Penalties.settings());
        return SettingValues.defaults(all, Profile.SYNTHETIC, 8)
                .with(AdaptiveWeights.T_WARM, 10)
                .with(AdaptiveWeights.T_RAMP, 4)
                .with(TopK.K, 5);
    }

    @Test
    void everyPenaltyIsRegisteredOnceUnderItsLabel() {
        assertThat(Penalties.ALL)
                .extracting(Penalty::label)
                .containsExactly("aen", "l1", "elastic", "alasso", "topk", "ghost", "auxk");
        for (Penalty p : Penalties.ALL)
            assertThat(Penalties.parse(p.label().toUpperCase())).isSameAs(p);
        assertThatThrownBy(() -> Penalties.parse("relu"))
                .hasMessage(
                        "architecture must be aen, l1, elastic, alasso, topk, ghost or auxk, got"
                                + " 'relu'");
        assertThat(Penalties.find("jumprelu")).isEmpty();
    }

    @Test
    void onlyTheAdaptivePenaltiesRampTheirWeightsIn() {
        SettingValues s = values();
        for (Penalty p : Penalties.ALL) {
            boolean adaptive = p.label().equals("aen") || p.label().equals("alasso");
            assertThat(p.phi(s, 9)).as(p.label()).isZero();
            assertThat(p.phi(s, 12)).as(p.label()).isEqualTo(adaptive ? 0.5 : 0);
            assertThat(p.phi(s, 100)).as(p.label()).isEqualTo(adaptive ? 1 : 0);
        }
    }

    @Test
    void theL2TermIsFedOnlyWhereItApplies() {
        SettingValues s = values().with(ElasticNet.LAMBDA2, 0.25);
        for (Penalty p : Penalties.ALL) {
            if (!(p instanceof Penalised)) continue;
            boolean l2 = p.label().equals("aen") || p.label().equals("elastic");
            assertThat(p.constants(s, 40).get("lambda2")).as(p.label()).isEqualTo(l2 ? 0.25 : 0.0);
            assertThat(p.constants(s, 40).get(Penalised.REFERENCE_COUNT)).isEqualTo(2L);
        }
    }

    @Test
    void topKServesItsKAndTheOthersTheirCut() {
        SettingValues s = values();
        Penalty topk = Penalties.parse("topk");
        assertThat(topk.kMax(s, 128)).isEqualTo(5);
        assertThat(topk.encoderSpec(5, true, WeightPrecision.FLOAT32).activation())
                .isEqualTo(Activation.TOP_K);
        assertThat(topk.constants(s, 40)).containsEntry(TopK.K_INPUT, 5L);
        assertThat(topk.state()).isEmpty();
        assertThat(Penalties.AEN.kMax(s, 128)).isEqualTo(128);
        assertThat(Penalties.AEN.encoderSpec(128, true, WeightPrecision.FLOAT32).activation())
                .isEqualTo(Activation.RELU);
    }

    @Test
    void theGhostProxyStartsAtItsMinimumStep() {
        SettingValues s = values().with(Ghost.MIN_STEPS, 3);
        Penalty ghost = Penalties.parse("ghost");
        assertThat(ghost.perStep(s, 2)).containsEntry("ghost_on", 0.0);
        assertThat(ghost.perStep(s, 3)).containsEntry("ghost_on", 1.0);
        assertThat(ghost.state()).containsExactly(Penalty.EMA, Penalty.FIRING_EMA);
        assertThat(ghost.outputs()).contains(Penalty.AUX_LOSS);
    }
}
