package dev.aenstream.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run's trajectory and time survive a kill: kept beside each checkpoint, continued on resume. */
class RunProgressTest {
    private static final long STEPS = 1_000;
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir Path dir;

    /** Steps {@code from} + 1 to {@code to}, with figures that tell the steps apart. */
    private static void train(RunProgress p, long from, long to) {
        for (long s = from + 1; s <= to; s++) p.stepped(s, s, s / 1e4, s / 100.0, 1e-3);
    }

    private static List<Long> steps(RunProgress p) {
        return p.trajectory().stream().map(m -> ((Number) m.get("step")).longValue()).toList();
    }

    @Test
    void aResumedRunKeepsItsTrajectoryAndTimeFromTheStart() throws Exception {
        RunProgress before =
                new RunProgress("k", STEPS, 0, QUIET, System.nanoTime() - 5_000_000_000L);
        train(before, 0, 500);
        before.save(dir);
        // Killed after step 530: the points past the checkpoint are trained again after the resume.
        train(before, 500, 530);
        RunProgress after = RunProgress.resumed("k", STEPS, 500, QUIET, System.nanoTime(), dir);
        train(after, 500, STEPS);
        RunProgress whole = new RunProgress("k", STEPS, 0, QUIET, System.nanoTime());
        train(whole, 0, STEPS);
        assertThat(after.fromStep()).isZero();
        assertThat(RunStore.JSON.writeValueAsString(after.trajectory()))
                .as("the same points as a run never killed")
                .isEqualTo(RunStore.JSON.writeValueAsString(whole.trajectory()));
        assertThat(steps(after)).hasSize(RunProgress.POINTS).startsWith(20L).endsWith(STEPS);
        assertThat(after.seconds()).as("the 5 s before the kill count").isGreaterThanOrEqualTo(5);
    }

    @Test
    void aResumeFromAnEarlierCheckpointDropsThePointsAfterIt() throws Exception {
        RunProgress before = new RunProgress("k", STEPS, 0, QUIET, System.nanoTime());
        train(before, 0, 700);
        before.save(dir);
        // The newest checkpoint (700) was unreadable: the trainer fell back to the one at 400.
        RunProgress after = RunProgress.resumed("k", STEPS, 400, QUIET, System.nanoTime(), dir);
        assertThat(after.fromStep()).isZero();
        assertThat(steps(after)).endsWith(400L).doesNotContain(420L);
    }

    @Test
    void withoutItsFileOrWithAGapTheTrajectoryStartsAtTheResume() throws Exception {
        RunProgress none = RunProgress.resumed("k", STEPS, 500, QUIET, System.nanoTime(), dir);
        assertThat(none.fromStep()).isEqualTo(500);
        assertThat(none.trajectory()).isEmpty();

        RunProgress before = new RunProgress("k", STEPS, 0, QUIET, System.nanoTime());
        train(before, 0, 300);
        before.save(dir);
        // Killed between the checkpoint at 500 and its file: the file stops at 300.
        RunProgress gap = RunProgress.resumed("k", STEPS, 500, QUIET, System.nanoTime(), dir);
        assertThat(gap.fromStep()).isEqualTo(500);
        assertThat(gap.trajectory()).isEmpty();
        assertThat(Files.list(dir)).containsExactly(dir.resolve(RunProgress.FILE));
    }

    @Test
    void aFreshRunIgnoresAFileLeftBehind() throws Exception {
        RunProgress before = new RunProgress("k", STEPS, 0, QUIET, System.nanoTime());
        train(before, 0, 500);
        before.save(dir);
        RunProgress fresh = RunProgress.resumed("k", STEPS, 0, QUIET, System.nanoTime(), dir);
        assertThat(fresh.trajectory()).isEmpty();
        assertThat(fresh.fromStep()).isZero();
    }

    @Test
    void theTimeLeftFollowsThePaceSinceTheLastLine() {
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        long t0 = 0;
        long second = 1_000_000_000L;
        RunProgress p = new RunProgress("k", STEPS, 0, new PrintStream(lines, true), t0);
        // A line every 30 s: at step 75 after 0.4 s a step, at step 325 after 250 steps at 0.12 s
        // (a run that left the dense graph): 675 left at 0.12 s is 81 s, where the pace since the
        // start (60 s over 325 steps) would say 125.
        for (long s = 1; s <= 75; s++) p.stepped(s, 1, 0.5, 0, 1e-3, t0 + s * 400_000_000L);
        for (long s = 76; s <= 325; s++)
            p.stepped(s, 1, 0.5, 0, 1e-3, t0 + 30 * second + (s - 75) * 120_000_000L);
        assertThat(lines.toString().lines())
                .containsExactly(
                        "k: step 75 of 1,000, l0 1.0 fve 0.500 dead 0.0% lambda1 0.00100, about"
                                + " 370 s left",
                        "k: step 325 of 1,000, l0 1.0 fve 0.500 dead 0.0% lambda1 0.00100, about"
                                + " 81 s left");
    }
}
