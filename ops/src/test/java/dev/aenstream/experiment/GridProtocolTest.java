package dev.aenstream.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.train.SparsityTarget;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The authors' protocol as declared: their grid per architecture (reference-results.md), their
 * selection rule, and the protocols that match L0 at different times.
 */
class GridProtocolTest {
    private static Map<String, Object> run(String arch, double l0, double dead, double fve) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("arch", arch);
        r.put("rho", 0.3);
        r.put("seed", 0L);
        r.put("grid_point", arch + "@" + l0 + "/" + dead + "/" + fve);
        r.put("l0", l0);
        r.put("dead_pct", dead);
        r.put("fve", fve);
        return r;
    }

    @Test
    void theGridIsTheAuthorsSweepWithTheRemediesBesideTheirBaselines() {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (var arch : Penalties.ALL) sizes.put(arch.label(), DeclaredGrid.authors(arch).size());
        assertThat(sizes)
                .isEqualTo(
                        Map.of(
                                "aen", 72, "l1", 4, "elastic", 9, "alasso", 24, "topk", 5, "ghost",
                                4, "auxk", 5));
        List<DeclaredGrid.Point> aen = DeclaredGrid.authors(Penalties.AEN);
        // Their sweep055, the best AEN run at rho 0.3 and 0.5: index 55 in their order.
        assertThat(aen.get(55).label())
                .isEqualTo("lambda1=0.001,lambda2=0.001,gamma=1,beta=0.9999,p=0.01");
        assertThat(aen.get(55).settings()).containsEntry(Penalised.LAMBDA1, 0.001);
        // ... and their sweep069, the best at rho 0.
        assertThat(aen.get(69).label())
                .isEqualTo("lambda1=0.001,lambda2=0.0001,gamma=1,beta=0.999,p=0.01");
        assertThat(aen).extracting(DeclaredGrid.Point::label).doesNotHaveDuplicates();
        assertThat(DeclaredGrid.authors(Penalties.parse("topk")))
                .extracting(p -> p.settings().get(TopK.K))
                .containsExactly(8, 16, 32, 64, 128);
    }

    @Test
    void selectionTakesTheFewestDeadInTheBandThenTheBetterFve() {
        List<Map<String, Object>> chosen =
                GridSelection.select(
                        List.of(
                                run("aen", 40, 0.0, 0.9), // out of the band: dense
                                run("aen", 12, 3.0, 0.6),
                                run("aen", 20, 1.0, 0.4),
                                run("aen", 24, 1.0, 0.5), // the band's end is in it
                                run("l1", 5, 0.0, 0.2),
                                run("l1", 30, 50.0, 0.8)),
                        16);
        assertThat(chosen).hasSize(2);
        Map<String, Object> aen = chosen.get(0);
        assertThat(aen.get("l0")).isEqualTo(24.0);
        assertThat(aen).containsEntry("configurations", 4).containsEntry("in_band", 3);
        assertThat(aen).containsEntry("chosen", true);
        // Nothing in the band: reported, not chosen, with the run nearest to it.
        Map<String, Object> l1 = chosen.get(1);
        assertThat(l1).containsEntry("chosen", false).containsEntry("in_band", 0);
        assertThat(l1.get("l0")).isEqualTo(5.0);
        assertThat(GridSelection.inBand(10, 16)).isTrue();
        assertThat(GridSelection.inBand(9.99, 16)).isFalse();
    }

    /**
     * A grid run in part (the paper grid takes sessions) says how much of it the choice rests on,
     * and the ordering verdict waits for complete cells.
     */
    @Test
    void aPartlyRunGridSaysHowManyOfItsConfigurationsTheChoiceRestsOn() {
        List<Map<String, Object>> chosen =
                GridSelection.select(
                        List.of(
                                run("aen", 16, 2.0, 0.5),
                                run("l1", 16, 9.0, 0.5),
                                run("l1", 12, 11.0, 0.5),
                                run("l1", 20, 12.0, 0.5),
                                run("l1", 30, 14.0, 0.5)),
                        16);
        assertThat(chosen.get(0))
                .containsEntry("configurations", 1)
                .containsEntry("declared", 72)
                .containsEntry("complete", false);
        assertThat(chosen.get(1))
                .containsEntry("configurations", 4)
                .containsEntry("declared", 4)
                .containsEntry("complete", true);
        assertThat(GridSelection.decided(chosen))
                .extracting(r -> r.get("arch"))
                .containsExactly("l1");
        StringBuilder h = new StringBuilder();
        ReportTables.selection(h, chosen, 16);
        assertThat(h.toString()).contains("1 of 72").contains("4 of 4").contains("so far");
    }

    @Test
    void aCellWithNoRunInTheBandNamesTheRunWhoseFiguresItShows() {
        List<Map<String, Object>> chosen =
                GridSelection.select(
                        List.of(
                                run("l1", 1.7, 89.8, 0.37),
                                run("l1", 57.1, 45.0, 0.78),
                                run("l1", 163.5, 43.2, 0.92)),
                        16);
        assertThat(chosen.get(0)).containsEntry("chosen", false).containsEntry("l0", 1.7);
        StringBuilder h = new StringBuilder();
        ReportTables.selection(h, chosen, 16);
        assertThat(h.toString())
                .contains("none in the band; nearest: l1@1.7/89.8/0.37")
                .doesNotContain("l1@57.1");
    }

    /**
     * Under the authors' rule a cell with no run in the band has no choice: the ordering leaves it
     * out (as the paper's table does for L1 at rho 0.9) and the headline marks its figures as the
     * nearest run's, not a result. Before, L1's 89.8% at L0 1.7 stood in both as if chosen.
     */
    @Test
    void aCellWithNoRunInTheBandIsNoResultForTheOrdering() {
        List<Map<String, Object>> runs = new java.util.ArrayList<>();
        for (double l0 : new double[] {1.4, 1.7, 57.1, 163.5}) runs.add(run("l1", l0, 89.8, 0.4));
        for (int k : new int[] {8, 16, 32, 64, 128}) runs.add(run("topk", k, 98.0, 0.5));
        List<Map<String, Object>> chosen = GridSelection.select(runs, 16);
        assertThat(GridSelection.decided(chosen))
                .extracting(r -> r.get("arch"))
                .containsExactly("topk");
        assertThat(GridSelection.undecided(chosen, "l1", 0.3)).isTrue();
        assertThat(GridSelection.undecided(chosen, "topk", 0.3)).isFalse();
        assertThat(GridSelection.undecided(chosen, "aen", 0.3)).isFalse();
    }

    @Test
    void protocolsMatchLZeroThroughoutAfterTheWarmUpOrNever() {
        StarvationPreset paper = StarvationPreset.PAPER;
        SparsityTarget throughout = Protocol.MATCHED.sparsity(16, paper);
        assertThat(throughout.calibrates(1)).isTrue();
        SparsityTarget after = Protocol.AFTER_WARMUP.sparsity(16, paper);
        assertThat(after.calibrates(paper.tWarm())).isFalse();
        assertThat(after.calibrates(paper.tWarm() + 1)).isTrue();
        assertThat(Protocol.FIXED.sparsity(16, paper)).isNull();
        assertThat(Protocol.GRID.sparsity(16, paper)).isNull();
        assertThat(Protocol.parse("After-Warmup")).isEqualTo(Protocol.AFTER_WARMUP);
        assertThatThrownBy(() -> Protocol.parse("late"))
                .hasMessage(
                        "--protocol must be one of matched, after-warmup, fixed, grid, got"
                                + " 'late'");
        // The default protocol keeps the keys of runs recorded before protocols existed.
        StarvationExperiment.RunSpec spec = new StarvationExperiment.RunSpec(Penalties.AEN, 0.3, 0);
        assertThat(spec.key(paper, 16, Protocol.MATCHED))
                .isEqualTo("paper/l0=16/aen/rho=0.3/seed=0/b_dec=zero");
        assertThat(spec.key(paper, 16, Protocol.FIXED))
                .isEqualTo("paper/l0=16/aen/rho=0.3/seed=0/b_dec=zero/protocol=fixed");
    }

    @Test
    void theOrderingTableSaysWhichPairBreaksIt() {
        assertThat(ReportTables.holds(new Double[] {0.2, 11.0, 96.4})).isEqualTo("holds");
        assertThat(ReportTables.holds(new Double[] {12.9, 13.1, 89.8})).isEqualTo("holds");
        assertThat(ReportTables.holds(new Double[] {16.6, 13.4, 89.8}))
                .isEqualTo("no: l1 13.4% ≤ aen 16.6%");
        assertThat(ReportTables.holds(new Double[] {0.0, null, 97.5})).isEqualTo("–");
    }
}
