package dev.aenstream.cli;

import dev.aenstream.sae.train.TrainingMetrics;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's last line: whether AEN kept more features alive than the baselines beside it, said
 * plainly either way.
 */
final class Verdict {
    private Verdict() {}

    static String of(List<TrainingMetrics> metrics, Map<String, Long> alerts) {
        TrainingMetrics aen =
                metrics.stream().filter(m -> m.arch().equals("aen")).findFirst().orElse(null);
        if (aen == null) return "verdict: no AEN SAE in this demo to compare with";
        StringBuilder out = new StringBuilder("verdict: ");
        boolean ahead = true;
        boolean any = false;
        boolean anyDead = aen.deadPct() > 0;
        for (TrainingMetrics m : metrics) {
            if (m == aen) continue;
            any = true;
            ahead &= m.deadPct() > aen.deadPct();
            anyDead |= m.deadPct() > 0;
            out.append(
                    String.format(
                            Locale.ROOT,
                            "%s (%s) %.1f%% dead, fve %.2f, %d alerts; ",
                            m.saeId(),
                            m.arch(),
                            m.deadPct(),
                            m.fve(),
                            alerts.getOrDefault(m.saeId(), 0L)));
        }
        out.append(
                String.format(
                        Locale.ROOT,
                        "%s (aen) %.1f%% dead, fve %.2f, %d alerts. ",
                        aen.saeId(),
                        aen.deadPct(),
                        aen.fve(),
                        alerts.getOrDefault(aen.saeId(), 0L)));
        if (!any) out.append("No baseline ran beside it.");
        else if (!anyDead)
            out.append(
                    "Nothing has starved yet: no SAE has gone a whole dead window without a"
                            + " feature firing; a longer --duration shows more.");
        else if (ahead)
            out.append(
                    "AEN kept more features alive than every baseline here (compare fve and"
                            + " shrinkage too: a short run buys that with a stronger penalty).");
        else
            out.append(
                    "AEN is not ahead of every baseline in this run: what it shows is each SAE's"
                            + " starvation as measured at this length and data; the longer"
                            + " study is `aen experiment starvation` (docs/experiments.md).");
        return out.toString();
    }
}
