package dev.aenstream.chaos;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.Topics;
import dev.aenstream.models.ModelTrust;
import dev.aenstream.online.TrainerManifest;
import dev.aenstream.sae.train.Checkpoints;
import dev.aenstream.topics.TopicSnapshot;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the soak's pipeline left in Kafka and in the trainer's checkpoints, held against what the
 * producer sent: counts (nothing lost or duplicated, encoded or trained), values (every code
 * recomputed from its row and version), statistics (equal to the codes), alerts (none sent twice,
 * none of rows lost) and versions (increasing, every served one trusted, a forged one refused).
 */
final class ChaosVerdict {
    private final KafkaConnection kafka;
    private final Topics topics;
    private final ModelTrust trust;
    private final Map<String, Object> out = new LinkedHashMap<>();
    private boolean ok = true;

    ChaosVerdict(KafkaConnection kafka, Topics topics, ModelTrust trust) {
        this.kafka = kafka;
        this.topics = topics;
        this.trust = trust;
    }

    /** Counts of codes per (batch, SAE) against the batches the producer had acknowledged. */
    ChaosVerdict codes(CodesLedger ledger, Set<Long> acked) {
        zero("codes_missing", ledger.missing(acked));
        zero("codes_duplicated", ledger.duplicated(acked));
        return this;
    }

    /** The trainer's manifest and checkpoints against the rows produced. */
    ChaosVerdict training(Path dir, Set<String> saes, long rowsProduced, long checksum)
            throws java.io.IOException {
        TrainerManifest manifest = TrainerManifest.read(dir);
        Map<String, Object> perSae = new LinkedHashMap<>();
        long missing = 0, duplicated = 0;
        for (String sae : saes.stream().sorted().toList()) {
            long tokens = Checkpoints.load(dir.resolve(manifest.saes().get(sae))).tokens();
            long accounted = tokens + manifest.pendingRows() + manifest.rowsDeadLettered();
            long m = Math.max(0, rowsProduced - accounted);
            long d = Math.max(0, accounted - rowsProduced);
            missing += m;
            duplicated += d;
            perSae.put(
                    sae,
                    Map.of(
                            "rows_trained", tokens,
                            "rows_trained_missing", m,
                            "rows_trained_duplicated", d));
        }
        out.put("rows_read", manifest.rowsRead());
        out.put("rows_pending", manifest.pendingRows());
        out.put("rows_dead_lettered", manifest.rowsDeadLettered());
        zero("rows_trained_missing", missing);
        zero("rows_trained_duplicated", duplicated);
        boolean checksumMatch = manifest.rowChecksum() == checksum;
        out.put("row_checksum_match", checksumMatch);
        ok &= checksumMatch;
        out.put("per_sae", perSae);
        return this;
    }

    /**
     * Everything read back from the topics: versions, code values, statistics, alerts, dead
     * letters; {@code forged} the version published under another key (null: none).
     */
    ChaosVerdict topics(Map<String, Set<Long>> servedVersions, SaeModel forged) {
        PublishedVersions versions = PublishedVersions.read(kafka, topics.models(), trust);
        long versionCount = 0, nonMonotonic = 0, untrusted = 0;
        for (List<Long> vs : versions.trustedVersions().values()) {
            versionCount += vs.size();
            for (int i = 1; i < vs.size(); i++) if (vs.get(i) <= vs.get(i - 1)) nonMonotonic++;
        }
        for (var e : servedVersions.entrySet())
            for (long v : e.getValue()) if (versions.trusted(e.getKey(), v) == null) untrusted++;
        out.put("versions_published", versionCount);
        out.put("versions_refused", versions.refused().size());
        zero("versions_non_monotonic", nonMonotonic);
        zero("versions_served_untrusted", untrusted);

        CodeAudit codes =
                CodeAudit.run(
                        kafka,
                        topics.activations(),
                        topics.codes(),
                        RowProducer.PRODUCER_ID,
                        versions);
        out.put("code_rows_checked", codes.rowsChecked);
        out.put("code_max_error", codes.maxError);
        zero("code_rows_wrong", codes.rowsWrong);
        if (codes.firstWrong != null) out.put("code_first_wrong", codes.firstWrong);
        ok &= codes.rowsChecked > 0;

        AlertAudit alerts = AlertAudit.run(kafka, topics.alerts());
        StatisticsAudit stats = StatisticsAudit.run(kafka, topics.featureStats(), codes, alerts);
        out.put("stats_versions_checked", stats.versionsChecked);
        out.put("stats_tokens_counted", stats.tokensCounted);
        out.put(
                "stats_tokens_late",
                alerts.lateTokens.values().stream().mapToLong(Long::longValue).sum());
        zero("stats_tokens_unaccounted", stats.tokensUnaccounted);
        zero("stats_fires_mismatched", stats.firesMismatched);
        if (stats.firstMismatch != null) out.put("stats_first_mismatch", stats.firstMismatch);
        ok &= stats.tokensCounted > 0;

        Map<String, Long> byType = new TreeMap<>();
        alerts.byType.forEach((t, n) -> byType.put(t.name(), n));
        out.put("alerts", byType);
        zero("alerts_repeated", alerts.repeated);
        if (alerts.firstRepeated != null) out.put("alerts_first_repeated", alerts.firstRepeated);
        zero("alerts_rows_lost", alerts.count(AlertType.ROWS_LOST_TO_RETENTION));
        if (forged != null) {
            String name = forged.getSaeId() + "/v" + forged.getVersion();
            boolean served =
                    servedVersions
                            .getOrDefault(forged.getSaeId(), Set.of())
                            .contains(forged.getVersion());
            boolean alerted = alerts.refused.contains(name);
            out.put("forged_version", name);
            out.put("forged_version_served", served);
            out.put("forged_version_alerted", alerted);
            ok &= !served && alerted;
        }
        zero("dead_letters", TopicSnapshot.read(kafka, topics.dlq()).size());
        return this;
    }

    /** Adds a figure that must be zero for the soak to pass. */
    private void zero(String name, long value) {
        out.put(name, value);
        ok &= value == 0;
    }

    /** A figure of the run itself, and whether it passes. */
    ChaosVerdict figure(String name, Object value, boolean passes) {
        out.put(name, value);
        ok &= passes;
        return this;
    }

    /** The figures, in the order they were added, then {@code ok}. */
    Map<String, Object> summary() {
        Map<String, Object> all = new LinkedHashMap<>(out);
        all.put("ok", ok);
        return all;
    }
}
