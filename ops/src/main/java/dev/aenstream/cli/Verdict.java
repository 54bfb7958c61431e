package dev.aenstream.cli;

import dev.aenstream.sae.train.TrainingMetrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's last line: whether AEN kept more features alive than the baselines beside it, and at
 * what cost in fve, said plainly either way with the figures it rests on.
 *
 * @param text the line the demo prints
 * @param starved the baselines that lost more features than AEN
 * @param fveGap the largest fve of a starved baseline minus AEN's (null when none starved)
 * @param fveGapOf the baseline with that largest fve (null when none starved)
 * @param comparable whether AEN's fve is within {@link #FVE_TOLERANCE} of every starved baseline's
 */
record Verdict(
        String text, List<String> starved, Double fveGap, String fveGapOf, boolean comparable) {
    /**
     * How far AEN's fve may lie below a starved baseline's for the two to count as reconstructing
     * alike: fewer dead features bought with much worse reconstruction is not AEN's claim.
     */
    static final double FVE_TOLERANCE = 0.05;

    static Verdict of(List<TrainingMetrics> metrics, Map<String, Long> alerts) {
        TrainingMetrics aen =
                metrics.stream().filter(m -> m.arch().equals("aen")).findFirst().orElse(null);
        if (aen == null)
            return new Verdict(
                    "verdict: no AEN SAE in this demo to compare with",
                    List.of(),
                    null,
                    null,
                    false);
        StringBuilder out =
                new StringBuilder(
                        String.format(
                                Locale.ROOT,
                                "verdict after %,d steps (%,d tokens) of %s: ",
                                aen.step(),
                                aen.tokens(),
                                aen.saeId()));
        List<TrainingMetrics> starved = new ArrayList<>();
        List<TrainingMetrics> notBehind = new ArrayList<>();
        boolean anyDead = aen.deadPct() > 0;
        for (TrainingMetrics m : metrics) {
            if (m == aen) continue;
            (m.deadPct() > aen.deadPct() ? starved : notBehind).add(m);
            anyDead |= m.deadPct() > 0;
            out.append(figures(m, alerts)).append("; ");
        }
        out.append(figures(aen, alerts)).append(". ");
        List<String> starvedIds = starved.stream().map(TrainingMetrics::saeId).toList();
        if (starved.isEmpty() && notBehind.isEmpty()) {
            out.append("No baseline ran beside it.");
            return new Verdict(out.toString(), starvedIds, null, null, false);
        }
        if (!anyDead) {
            out.append(
                    "Nothing has starved yet: no SAE has gone a whole dead window without a feature"
                            + " firing; a longer --duration shows more.");
            return new Verdict(out.toString(), starvedIds, null, null, false);
        }
        if (starved.isEmpty()) {
            out.append(
                    "AEN is not ahead of any baseline here: what it shows is each SAE's starvation"
                            + " as measured at this length and data; the longer study is `aen"
                            + " experiment starvation` (docs/experiments.md).");
            return new Verdict(out.toString(), starvedIds, null, null, false);
        }
        TrainingMetrics best = starved.get(0);
        for (TrainingMetrics m : starved) if (m.fve() > best.fve()) best = m;
        double gap = best.fve() - aen.fve();
        boolean comparable = gap <= FVE_TOLERANCE;
        out.append(
                String.format(
                        Locale.ROOT,
                        "AEN kept more features alive than %s (%s). ",
                        String.join(", ", starvedIds),
                        String.join(
                                ", ",
                                starved.stream()
                                        .map(
                                                m ->
                                                        String.format(
                                                                Locale.ROOT,
                                                                "%.1f%% dead against %.1f%%",
                                                                m.deadPct(),
                                                                aen.deadPct()))
                                        .toList())));
        String gapText =
                gap >= 0
                        ? String.format(
                                Locale.ROOT,
                                "its fve is %.2f below %s's (%.2f against %.2f)",
                                gap,
                                best.saeId(),
                                aen.fve(),
                                best.fve())
                        : String.format(
                                Locale.ROOT,
                                "its fve is %.2f above %s's (%.2f against %.2f)",
                                -gap,
                                best.saeId(),
                                aen.fve(),
                                best.fve());
        if (comparable)
            out.append(
                    String.format(
                            Locale.ROOT,
                            "It did so at comparable reconstruction: %s, within the %.2f this"
                                    + " verdict allows.",
                            gapText,
                            FVE_TOLERANCE));
        else
            out.append(
                    String.format(
                            Locale.ROOT,
                            "But %s, more than the %.2f this verdict allows: this run does not show"
                                    + " AEN keeping features alive at the baseline's"
                                    + " reconstruction, only that it keeps them alive.",
                            gapText,
                            FVE_TOLERANCE));
        if (!notBehind.isEmpty())
            out.append(
                    String.format(
                            Locale.ROOT,
                            " It is not ahead of %s.",
                            String.join(
                                    ", ",
                                    notBehind.stream().map(TrainingMetrics::saeId).toList())));
        return new Verdict(out.toString(), starvedIds, gap, best.saeId(), comparable);
    }

    private static String figures(TrainingMetrics m, Map<String, Long> alerts) {
        return String.format(
                Locale.ROOT,
                "%s (%s) %.1f%% dead, fve %.2f, %d alerts",
                m.saeId(),
                m.arch(),
                m.deadPct(),
                m.fve(),
                alerts.getOrDefault(m.saeId(), 0L));
    }

    /** The verdict as the summary JSON carries it. */
    Map<String, Object> summary() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("text", text);
        s.put("starved", starved);
        s.put("fve_gap", fveGap);
        s.put("fve_gap_of", fveGapOf);
        s.put("fve_tolerance", FVE_TOLERANCE);
        s.put("comparable", comparable);
        return s;
    }
}
