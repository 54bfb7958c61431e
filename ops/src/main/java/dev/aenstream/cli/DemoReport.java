package dev.aenstream.cli;

import dev.aenstream.avro.AlertType;
import dev.aenstream.bench.CodesTally;
import dev.aenstream.dashboard.DashboardFeed;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.node.TrainerNode;
import dev.aenstream.sae.eval.SampleGeometry;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.TrainingMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What `aen demo` prints as it runs and reports at its end. */
final class DemoReport {
    private DemoReport() {}

    /**
     * One row per SAE: what the trainer reached, the version the encoders serve, the paper's
     * figures and the alerts raised; then each SAE's latest FEATURE_DEAD alert (the served version)
     * and FEATURE_STARVING alert (the trainer's, with its diagnosis).
     */
    static void printTable(
            TrainerNode trainer,
            Map<String, CodesTally.SaeFigures> served,
            DashboardFeed observed) {
        Map<String, Long> alerts = observed.alertsBySae();
        Map<String, SampleGeometry.Figures> geometry = trainer.geometry();
        System.out.printf(
                "  %-8s %-8s %8s %8s %10s %7s %7s %7s %9s %5s %7s%n",
                "sae_id",
                "arch",
                "version",
                "steps",
                "tokens",
                "l0",
                "fve",
                "dead%",
                "shrinkage",
                "phi",
                "alerts");
        for (TrainingMetrics m : trainer.metrics()) {
            CodesTally.SaeFigures f = served.get(m.saeId());
            SampleGeometry.Figures g = geometry.get(m.saeId());
            System.out.printf(
                    "  %-8s %-8s %8d %8d %,10d %7.1f %7.3f %7.2f %9.3f %5.2f %7d%n",
                    m.saeId(),
                    m.arch(),
                    f == null ? 0 : f.version(),
                    m.step(),
                    m.tokens(),
                    m.l0(),
                    m.fve(),
                    m.deadPct(),
                    g == null ? Double.NaN : g.shrinkage(),
                    m.warmupFactor(),
                    alerts.getOrDefault(m.saeId(), 0L));
        }
        // What the monitor saw the served version do, then why the trainer's features starve.
        for (AlertType type : List.of(AlertType.FEATURE_DEAD, AlertType.FEATURE_STARVING))
            observed.latestAlerts(type)
                    .forEach(
                            (id, message) -> System.out.printf("  %s %s: %s%n", type, id, message));
    }

    /** Prints the summary table and the verdict, and writes the summary JSON when asked for. */
    static void writeSummary(
            Path summaryJson,
            double targetL0,
            long deadWindow,
            KafkaTarget target,
            DemoSource feed,
            TrainerNode trainer,
            long rowsProduced,
            CodesTally tally,
            List<ServingSae> serving,
            DashboardFeed observed,
            double seconds,
            double producingSeconds)
            throws java.io.IOException {
        Map<String, CodesTally.SaeFigures> served = tally.saes();
        String deviceLabel = serving.get(0).encoder().device().label();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("source_model", feed.sourceModel());
        summary.put("hook_point", feed.hookPoint());
        summary.put("n", feed.n());
        summary.put("tokens_encoded", tally.tokens());
        summary.put("mean_l0", tally.meanL0());
        summary.put("device", deviceLabel);
        summary.put("dead_letters", tally.deadLetters());
        List<Map<String, Object>> saes = new ArrayList<>();
        System.out.println();
        System.out.println("summary");
        printTable(trainer, served, observed);
        Map<String, Long> alerts = observed.alertsBySae();
        Map<String, SampleGeometry.Figures> geometry = trainer.geometry();
        @SuppressWarnings("unchecked")
        Map<String, Object> dashboard = (Map<String, Object>) observed.snapshot().get("saes");
        summary.put("target_l0", targetL0);
        summary.put("dead_window_tokens", deadWindow);
        for (TrainingMetrics m : trainer.metrics()) {
            CodesTally.SaeFigures f = served.get(m.saeId());
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("sae_id", m.saeId());
            s.put("arch", m.arch());
            s.put("version", f == null ? 0 : f.version());
            s.put("steps", m.step());
            s.put("l0", m.l0());
            s.put("fve", m.fve());
            s.put("dead_pct", m.deadPct());
            // The monitor's count over the same window, from the encoders' codes of the served
            // version: it trails the trainer by up to one published version.
            s.put("monitor_dead_pct", observed.monitorDeadPct(m.saeId()));
            SampleGeometry.Figures g = geometry.get(m.saeId());
            s.put("shrinkage", g == null ? null : g.shrinkage());
            s.put("phi", m.warmupFactor());
            TrainConfig c = trainer.config(m.saeId());
            if (c.has(TopK.K)) s.put("k", c.get(TopK.K));
            if (c.has(Penalised.LAMBDA1)) s.put("lambda1", c.get(Penalised.LAMBDA1));
            if (m.weightSaturation() != null) s.put("weight_saturation", m.weightSaturation());
            s.put("tokens_trained", m.tokens());
            s.put("tokens_encoded", f == null ? 0 : f.tokens());
            // What the dashboard counts from the statistics: at most the codes, as windows still
            // open at the end are not in it yet.
            s.put("dashboard_tokens_encoded", observed.encodedTokens(m.saeId()));
            s.put("encoded_l0", f == null ? 0 : f.meanL0());
            s.put("versions_published", trainer.publishedVersions().getOrDefault(m.saeId(), 0L));
            long[] paths = trainer.stepsByPath().getOrDefault(m.saeId(), new long[2]);
            s.put("sparse_steps", paths[0]);
            s.put("dense_steps", paths[1]);
            s.put("alerts", alerts.getOrDefault(m.saeId(), 0L));
            s.put("spliced", newestSpliced(dashboard, m.saeId()));
            saes.add(s);
        }
        summary.put("saes", saes);
        Verdict verdict = Verdict.of(trainer.metrics(), alerts);
        System.out.println(verdict.text());
        summary.put("verdict", verdict.summary());
        summary.put("rows_produced", rowsProduced);
        // The share of the stream the online trainers learned from: all of it once they keep up.
        double share = rowsProduced == 0 ? 0 : (double) trainer.rowsRead() / rowsProduced;
        summary.put("rows_trained", trainer.rowsRead());
        summary.put("trained_share", Math.round(share * 1000) / 1000.0);
        summary.put("seconds", Math.round(seconds * 10) / 10.0);
        summary.put("bootstrap_servers", target.connection().bootstrapServers());
        summary.put("security_protocol", target.connection().securityProtocol());
        summary.put("models_signed", true);
        summary.put("embedded_broker", target.embedded());
        System.out.printf(
                "rows produced %,d in %.0f s, tokens encoded %,d, dead letters %d, device %s; the"
                        + " trainers read %,d rows (%.0f%% of those produced)%n",
                rowsProduced,
                producingSeconds,
                tally.tokens(),
                tally.deadLetters(),
                deviceLabel,
                trainer.rowsRead(),
                100 * share);
        SummaryJson.write(summaryJson, summary);
    }

    /**
     * What the model lost with the newest version of {@code saeId} spliced in, as the dashboard
     * holds it (docs/evaluation.md); null when nothing was spliced.
     */
    @SuppressWarnings("unchecked")
    private static Object newestSpliced(Map<String, Object> dashboard, String saeId) {
        Map<String, Object> sae = (Map<String, Object>) dashboard.get(saeId);
        Object rows = sae == null ? null : ((Map<String, Object>) sae.get("spliced")).get("rows");
        return rows instanceof List<?> l && !l.isEmpty() ? l.get(l.size() - 1) : null;
    }
}
