package dev.aenstream.experiment;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.aenstream.sae.train.StepResult;
import dev.aenstream.sae.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one run of the starvation experiment shows while it trains: a line every {@link
 * #PRINT_EVERY_NS} with its step, L0, fve, dead share, lambda1 and the time it has left, and its
 * trajectory, {@link #POINTS} points of the same figures over the run (L0 and fve averaged over the
 * steps since the point before), kept with the run in runs.jsonl. Beside each checkpoint it keeps
 * the trajectory and time so far, so a run resumed after a kill still has both from its start.
 */
final class RunProgress {
    /** Points of a run's trajectory. */
    static final int POINTS = 50;

    static final long PRINT_EVERY_NS = 30_000_000_000L;

    /** The file, beside a run's checkpoints, that keeps its trajectory and time so far. */
    static final String FILE = "progress.json";

    private final String key;
    private final long steps;
    private final long every;
    private final PrintStream out;
    private final long startStep;
    private final long startNs;
    private long printedNs;
    private long printedStep;
    private final long fromStep;
    private final double earlierSeconds;
    private final List<Map<String, Object>> trajectory;
    private double l0Sum;
    private double fveSum;
    private long summed;

    /** A run that starts, or resumes with nothing kept, at {@code startStep}. */
    RunProgress(String key, long steps, long startStep, PrintStream out, long startNs) {
        this(key, steps, startStep, out, startNs, startStep, 0, List.of());
    }

    private RunProgress(
            String key,
            long steps,
            long startStep,
            PrintStream out,
            long startNs,
            long fromStep,
            double earlierSeconds,
            List<Map<String, Object>> earlier) {
        this.key = key;
        this.steps = steps;
        this.startStep = startStep;
        this.every = Math.max(1, steps / POINTS);
        this.out = out;
        this.startNs = startNs;
        this.printedNs = startNs;
        this.printedStep = startStep;
        this.fromStep = fromStep;
        this.earlierSeconds = earlierSeconds;
        this.trajectory = new ArrayList<>(earlier);
    }

    /**
     * A run resumed at {@code startStep}, continuing the trajectory and time that {@code dir}'s
     * file kept up to that step. Without the file, or when its points stop short of the step (a
     * kill between a checkpoint and its file), the trajectory starts at the resume.
     */
    static RunProgress resumed(
            String key, long steps, long startStep, PrintStream out, long startNs, Path dir)
            throws IOException {
        Path file = dir.resolve(FILE);
        RunProgress fresh = new RunProgress(key, steps, startStep, out, startNs);
        if (startStep == 0 || !Files.isRegularFile(file)) return fresh;
        Kept kept = RunStore.JSON.readValue(file.toFile(), Kept.class);
        List<Map<String, Object>> points =
                kept.trajectory().stream().filter(p -> step(p) <= startStep).toList();
        long last = points.isEmpty() ? kept.fromStep() : step(points.get(points.size() - 1));
        if (startStep - last >= fresh.every) return fresh;
        return new RunProgress(
                key, steps, startStep, out, startNs, kept.fromStep(), kept.seconds(), points);
    }

    /** What {@link #FILE} holds. */
    record Kept(
            @JsonProperty("from_step") long fromStep,
            double seconds,
            List<Map<String, Object>> trajectory) {}

    /** Keeps the trajectory and time so far in {@code dir}, beside the checkpoint just written. */
    void save(Path dir) throws IOException {
        Path tmp = dir.resolve(FILE + ".tmp");
        RunStore.JSON.writeValue(tmp.toFile(), new Kept(fromStep, seconds(), trajectory));
        Files.move(
                tmp,
                dir.resolve(FILE),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** Seconds the run has taken, before its last resume included. */
    double seconds() {
        return earlierSeconds + (System.nanoTime() - startNs) / 1e9;
    }

    private static long step(Map<String, Object> point) {
        return ((Number) point.get("step")).longValue();
    }

    /** Takes one applied step's figures. */
    void stepped(Trainer t, StepResult r) {
        stepped(t.stepsDone(), r.l0(), r.fve(), t.window().deadPct(), t.lambda1());
    }

    /**
     * Takes the figures of the step that made {@code done} steps: its L0 and fve, and the dead
     * share and lambda1 after it (NaN for TopK, which has none).
     */
    void stepped(long done, double l0, double fve, double deadPct, double lambda1) {
        stepped(done, l0, fve, deadPct, lambda1, System.nanoTime());
    }

    /** As {@link #stepped(long, double, double, double, double)}, at {@code now} (nanoTime). */
    void stepped(long done, double l0, double fve, double deadPct, double lambda1, long now) {
        l0Sum += l0;
        fveSum += fve;
        summed++;
        if (done % every == 0 || done == steps) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("step", done);
            p.put("l0", finite(l0Sum / summed));
            p.put("fve", finite(fveSum / summed));
            p.put("dead_pct", finite(deadPct));
            p.put("lambda1", finite(lambda1));
            trajectory.add(p);
            l0Sum = 0;
            fveSum = 0;
            summed = 0;
        }
        if (now - printedNs < PRINT_EVERY_NS || done == steps) return;
        // The pace since the last line, not since the start: a penalised run's steps get faster
        // as its codes thin out and it leaves the dense graph, and a pause (a CI run beside it)
        // should mislead one line, not every line after it.
        double perStep = (now - printedNs) / 1e9 / Math.max(1, done - printedStep);
        printedNs = now;
        printedStep = done;
        out.printf(
                Locale.ROOT,
                "%s: step %,d of %,d, l0 %.1f fve %.3f dead %.1f%%%s, about %.0f s left%n",
                key,
                done,
                steps,
                l0,
                fve,
                deadPct,
                Double.isNaN(lambda1) ? "" : String.format(Locale.ROOT, " lambda1 %.3g", lambda1),
                perStep * (steps - done));
    }

    /** JSON has no NaN: a figure that is not a number is null. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /**
     * The trajectory from {@link #fromStep()}: the run's start, or a resume whose earlier points
     * were not kept.
     */
    List<Map<String, Object>> trajectory() {
        return trajectory;
    }

    long fromStep() {
        return fromStep;
    }
}
