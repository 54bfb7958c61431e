package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.sae.train.TrainingMetrics;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo's last line says what the run showed, whichever way it went. */
class VerdictTest {
    private static TrainingMetrics sae(String id, String arch, double deadPct) {
        return new TrainingMetrics(
                id, arch, 600, 153_600, 0, 0, 0, 0, 16, 0.3, deadPct, null, 0, 0, new long[8]);
    }

    @Test
    void saysWhenAenIsAheadWhenItIsNotAndWhenNothingStarved() {
        assertThat(Verdict.of(List.of(sae("aen", "aen", 0), sae("topk", "topk", 30)), Map.of()))
                .contains("AEN kept more features alive than every baseline");
        assertThat(Verdict.of(List.of(sae("aen", "aen", 40), sae("l1", "l1", 10)), Map.of()))
                .contains("AEN is not ahead");
        assertThat(Verdict.of(List.of(sae("aen", "aen", 0), sae("topk", "topk", 0)), Map.of()))
                .contains("Nothing has starved yet");
        assertThat(Verdict.of(List.of(sae("topk", "topk", 30)), Map.of())).contains("no AEN SAE");
    }
}
