package dev.aenstream.experiment;

import dev.aenstream.sae.train.StepResult;
import dev.aenstream.sae.train.Trainer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one run of the starvation experiment shows while it trains: a line every {@link
 * #PRINT_EVERY_NS} with its step, L0, fve, dead share, lambda1 and the time it has left, and its
 * trajectory, {@link #POINTS} points of the same figures over the run (L0 and fve averaged over the
 * steps since the point before), kept with the run in runs.jsonl.
 */
final class RunProgress {
    /** Points of a run's trajectory. */
    static final int POINTS = 50;

    static final long PRINT_EVERY_NS = 30_000_000_000L;

    private final String key;
    private final long steps;
    private final long every;
    private final PrintStream out;
    private final long startStep;
    private final long startNs = System.nanoTime();
    private long printedNs = startNs;
    private final List<Map<String, Object>> trajectory = new ArrayList<>();
    private double l0Sum;
    private double fveSum;
    private long summed;

    RunProgress(String key, long steps, long startStep, PrintStream out) {
        this.key = key;
        this.steps = steps;
        this.startStep = startStep;
        this.every = Math.max(1, steps / POINTS);
        this.out = out;
    }

    /** Takes one applied step's figures. */
    void stepped(Trainer t, StepResult r) {
        l0Sum += r.l0();
        fveSum += r.fve();
        summed++;
        long done = t.stepsDone();
        if (done % every == 0 || done == steps) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("step", done);
            p.put("l0", finite(l0Sum / summed));
            p.put("fve", finite(fveSum / summed));
            p.put("dead_pct", finite(t.window().deadPct()));
            p.put("lambda1", finite(t.lambda1())); // null for TopK, which has none
            trajectory.add(p);
            l0Sum = 0;
            fveSum = 0;
            summed = 0;
        }
        long now = System.nanoTime();
        if (now - printedNs < PRINT_EVERY_NS || done == steps) return;
        printedNs = now;
        double perStep = (now - startNs) / 1e9 / Math.max(1, done - startStep);
        out.printf(
                Locale.ROOT,
                "%s: step %,d of %,d, l0 %.1f fve %.3f dead %.1f%%%s, about %.0f s left%n",
                key,
                done,
                steps,
                r.l0(),
                r.fve(),
                t.window().deadPct(),
                Double.isNaN(t.lambda1())
                        ? ""
                        : String.format(Locale.ROOT, " lambda1 %.3g", t.lambda1()),
                perStep * (steps - done));
    }

    /** JSON has no NaN: a figure that is not a number is null. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /**
     * The trajectory since this run started or resumed (points before a resume are not kept: the
     * run row says where its trajectory starts).
     */
    List<Map<String, Object>> trajectory() {
        return trajectory;
    }

    long fromStep() {
        return startStep;
    }
}
