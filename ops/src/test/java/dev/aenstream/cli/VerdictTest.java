package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.sae.train.TrainingMetrics;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo's last line says what the run showed, whichever way it went, with its figures. */
class VerdictTest {
    private static TrainingMetrics sae(String id, String arch, double deadPct, double fve) {
        return new TrainingMetrics(
                id, arch, 1_146, 293_376, 0, 0, 0, 0, 16, fve, deadPct, null, 0, 0, new long[8]);
    }

    @Test
    void namesTheStarvedBaselineAndTheFveGapWhenAenBuysItsLiveFeaturesWithReconstruction() {
        Verdict v =
                Verdict.of(
                        List.of(sae("aen", "aen", 0, 0.21), sae("topk", "topk", 20.1, 0.57)),
                        Map.of("topk", 3L));
        assertThat(v.starved()).containsExactly("topk");
        assertThat(v.fveGap()).isCloseTo(0.36, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(v.fveGapOf()).isEqualTo("topk");
        assertThat(v.comparable()).isFalse();
        assertThat(v.text())
                .contains("after 1,146 steps (293,376 tokens)")
                .contains("topk (topk) 20.1% dead, fve 0.57, 3 alerts")
                .contains("aen (aen) 0.0% dead, fve 0.21, 0 alerts")
                .contains("AEN kept more features alive than topk (20.1% dead against 0.0%)")
                .contains("its fve is 0.36 below topk's (0.21 against 0.57)")
                .contains("more than the 0.05 this verdict allows")
                .contains("does not show AEN keeping features alive at the baseline's");
        assertThat(v.summary())
                .containsEntry("starved", List.of("topk"))
                .containsEntry("fve_tolerance", Verdict.FVE_TOLERANCE)
                .containsEntry("comparable", false);
    }

    @Test
    void callsItComparableOnlyWithinTheToleranceOfTheBestStarvedBaseline() {
        Verdict v =
                Verdict.of(
                        List.of(
                                sae("aen", "aen", 0.5, 0.55),
                                sae("topk", "topk", 90, 0.18),
                                sae("l1", "l1", 11, 0.58),
                                sae("alasso", "alasso", 0.2, 0.40)),
                        Map.of());
        assertThat(v.starved()).containsExactly("topk", "l1");
        assertThat(v.fveGapOf()).isEqualTo("l1");
        assertThat(v.comparable()).isTrue();
        assertThat(v.text())
                .contains("AEN kept more features alive than topk, l1")
                .contains("its fve is 0.03 below l1's (0.55 against 0.58)")
                .contains("within the 0.05 this verdict allows")
                .contains("It is not ahead of alasso.");
        Verdict above =
                Verdict.of(
                        List.of(sae("aen", "aen", 0, 0.5), sae("topk", "topk", 9, 0.4)), Map.of());
        assertThat(above.comparable()).isTrue();
        assertThat(above.text()).contains("its fve is 0.10 above topk's");
    }

    @Test
    void saysWhenAenIsNotAheadWhenNothingStarvedAndWhenThereIsNoAen() {
        assertThat(
                        Verdict.of(
                                        List.of(
                                                sae("aen", "aen", 40, 0.3),
                                                sae("l1", "l1", 10, 0.3)),
                                        Map.of())
                                .text())
                .contains("AEN is not ahead of any baseline");
        Verdict none =
                Verdict.of(
                        List.of(sae("aen", "aen", 0, 0.3), sae("topk", "topk", 0, 0.5)), Map.of());
        assertThat(none.text()).contains("Nothing has starved yet");
        assertThat(none.fveGap()).isNull();
        assertThat(Verdict.of(List.of(sae("topk", "topk", 30, 0.5)), Map.of()).text())
                .contains("no AEN SAE");
    }
}
