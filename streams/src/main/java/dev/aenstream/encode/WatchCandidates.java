package dev.aenstream.encode;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.WatchCondition;
import dev.aenstream.avro.WatchHit;
import dev.aenstream.avro.WatchRule;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.monitor.RowOrigins;
import dev.aenstream.monitor.WatchHits;
import dev.aenstream.monitor.WatchRules;
import dev.aenstream.sae.SparseCodes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The encoder's watch stage. Each rule of a served SAE is followed to the served version through
 * lineage; the rule moved forward is written back to the watch-rules topic, so that it survives
 * restarts, and a rule that cannot be followed is reported. Tokens of an {@code ACTIVATION_ABOVE}
 * rule's feature above its threshold become facts for the monitor, one per rule and document and
 * batch (the highest, with the others counted), with the token's text around it.
 */
final class WatchCandidates {
    private final MonitorConfig monitor;
    private final ProcessorContext<byte[], Object> context;
    private final Lineages lineages;
    private final WatchRules rules = new WatchRules();

    /** Rules this task already moved to, or reported lost at, a version: ruleId@version. */
    private final Set<String> settled = new HashSet<>();

    WatchCandidates(
            MonitorConfig monitor, ProcessorContext<byte[], Object> context, Lineages lineages) {
        this.monitor = monitor;
        this.context = context;
        this.lineages = lineages;
        rules.init(context);
    }

    /** The highest hit of one rule in one document of a batch, and how many hits it stands for. */
    private static final class Best {
        final WatchRule rule;
        final int feature;
        int row;
        float value;
        long hits = 1;

        Best(WatchRule rule, int feature, int row, float value) {
            this.rule = rule;
            this.feature = feature;
            this.row = row;
            this.value = value;
        }
    }

    void add(
            ServingSae sae,
            SparseCodes codes,
            RowOrigins origins,
            ActivationBatch batch,
            long timeMs) {
        List<WatchRule> of = rules.of(sae.saeId());
        if (of.isEmpty()) return;
        Map<Integer, List<WatchRule>> byFeature = new HashMap<>();
        for (WatchRule r : of) {
            int f = follow(r, sae.version(), timeMs);
            if (f >= 0 && r.getCondition() == WatchCondition.ACTIVATION_ABOVE)
                byFeature.computeIfAbsent(f, k -> new ArrayList<>()).add(r);
        }
        if (byFeature.isEmpty()) return;
        Map<String, Best> best = new LinkedHashMap<>();
        int[] offsets = codes.rowOffsets();
        for (int row = 0; row < codes.rows(); row++) {
            for (int e = offsets[row]; e < offsets[row + 1]; e++) {
                List<WatchRule> watching = byFeature.get(codes.indices()[e]);
                if (watching == null) continue;
                float v = codes.values()[e];
                for (WatchRule r : watching) {
                    if (!(v > r.getThreshold())) continue;
                    String key = r.getRuleId() + "\u0000" + origins.documentId(row);
                    Best b = best.get(key);
                    if (b == null) best.put(key, new Best(r, codes.indices()[e], row, v));
                    else {
                        b.hits++;
                        if (v > b.value) {
                            b.value = v;
                            b.row = row;
                        }
                    }
                }
            }
        }
        for (Best b : best.values()) {
            WatchHit hit = hit(b, origins, batch);
            forward(
                    sae.saeId(),
                    WatchHits.activationFact(b.rule, sae.version(), b.feature, hit),
                    timeMs);
        }
    }

    private WatchHit hit(Best b, RowOrigins origins, ActivationBatch batch) {
        RowOrigins.Context text = origins.context(b.row, monitor.get(MonitorConfig.CONTEXT_CHARS));
        Integer start = origins.textStart(b.row);
        return WatchHit.newBuilder()
                .setRuleId(b.rule.getRuleId())
                .setLabel(b.rule.getLabel())
                .setSourceModel(batch.getSourceModel())
                .setHookPoint(batch.getHookPoint())
                .setProducerId(batch.getProducerId())
                .setSequence(batch.getSequence())
                .setRow(b.row)
                .setDocumentId(origins.documentId(b.row))
                .setTokenStart(start)
                .setTokenEnd(
                        start == null || text == null
                                ? null
                                : start + text.highlightEnd() - text.highlightStart())
                .setText(text == null ? null : text.text())
                .setHighlightStart(text == null ? 0 : text.highlightStart())
                .setHighlightEnd(text == null ? 0 : text.highlightEnd())
                .setActivation(b.value)
                .setSuppressed(b.hits - 1)
                .build();
    }

    /**
     * {@code r}'s feature in {@code version}, or -1: a rule of a newer version than served waits;
     * one lineage cannot follow is reported once per task and version.
     */
    private int follow(WatchRule r, long version, long timeMs) {
        if (WatchRules.at(r, version)) return r.getFeature();
        if (r.getVersion() > version) return -1;
        Lineages.Followed f =
                lineages.follow(r.getSaeId(), r.getFeature(), r.getVersion(), version);
        boolean first = settled.add(r.getRuleId() + "@" + version);
        if (!f.found()) {
            if (first) forward(r.getSaeId(), WatchHits.lostFact(r, version, f.lost()), timeMs);
            return -1;
        }
        // Another task may have moved it already: the rules' store says so (most of the time).
        WatchRule current = rules.byId(r.getRuleId());
        if (first && (current == null || current.getVersion() < version)) {
            WatchRule moved =
                    WatchRule.newBuilder(r)
                            .setFeature(f.feature())
                            .setVersion(version)
                            .setDeclaredFeature(
                                    r.getDeclaredFeature() < 0
                                            ? r.getFeature()
                                            : r.getDeclaredFeature())
                            .setDeclaredVersion(
                                    r.getDeclaredVersion() < 0
                                            ? r.getVersion()
                                            : r.getDeclaredVersion())
                            .setUpdatedMs(timeMs)
                            .build();
            context.forward(
                    new Record<byte[], Object>(
                            r.getRuleId().getBytes(StandardCharsets.UTF_8), moved, timeMs),
                    EncodeTopology.WATCH_RULES);
        }
        return f.feature();
    }

    private void forward(String saeId, Object fact, long timeMs) {
        context.forward(
                new Record<byte[], Object>(saeId.getBytes(StandardCharsets.UTF_8), fact, timeMs),
                EncodeTopology.WATCH);
    }
}
