package dev.aenstream.dashboard;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.WatchHit;
import dev.aenstream.avro.WatchRule;
import dev.aenstream.monitor.WatchRules;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The dashboard's view of the model, not the SAE: the watch rules as the watch-rules topic holds
 * them, recent watch alerts with their text, and drift alerts with the features that moved, their
 * labels and top contexts (docs/monitoring.md).
 */
final class ModelWatch {
    /** Watch and drift alerts kept for the page, newest first. */
    static final int KEPT = 200;

    /** Features of a drift alert the page names, with their top context. */
    static final int NAMED = 5;

    private final Map<String, Map<String, Object>> byId = new TreeMap<>();
    private final Deque<Map<String, Object>> hits = new ArrayDeque<>();
    private final Deque<Map<String, Object>> drift = new ArrayDeque<>();

    /** The text of a feature's top context in a version, or null: what the feature pages know. */
    interface TopContext {
        String of(String saeId, long version, int feature);
    }

    private final TopContext topContext;

    ModelWatch(TopContext topContext) {
        this.topContext = topContext;
    }

    /**
     * A record of the watch-rules topic; a tombstone removes its rule, and so does a record no
     * encoder applies (the topic is untrusted), which is then refused.
     *
     * @throws IllegalArgumentException naming why, for a record that is no rule
     */
    synchronized void rule(byte[] key, byte[] value) {
        if (key == null) return;
        String id = new String(key, StandardCharsets.UTF_8);
        WatchRules.Reading reading = value == null ? null : WatchRules.Reading.of(value);
        if (reading == null || reading.rule() == null) byId.remove(id);
        if (reading == null) return;
        if (reading.rule() == null)
            throw new IllegalArgumentException(
                    "watch rule " + id + " not applied: " + reading.refusal());
        WatchRule r = reading.rule();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.getRuleId());
        m.put("sae_id", r.getSaeId());
        m.put("feature", r.getFeature());
        m.put("version", r.getVersion());
        m.put("label", r.getLabel());
        m.put("condition", r.getCondition().toString());
        m.put("threshold", r.getThreshold());
        m.put("window_tokens", r.getWindowTokens());
        m.put("declared_feature", r.getDeclaredFeature());
        m.put("declared_version", r.getDeclaredVersion());
        byId.put(id, m);
    }

    synchronized void alert(Alert a) {
        AlertType t = a.getAlertType();
        if (t == AlertType.FEATURE_DRIFT) keep(drift, drift(a));
        else if (a.getWatch() != null) keep(hits, hit(a, a.getWatch()));
    }

    private static void keep(Deque<Map<String, Object>> into, Map<String, Object> m) {
        into.addFirst(m);
        while (into.size() > KEPT) into.removeLast();
    }

    private static Map<String, Object> hit(Alert a, WatchHit h) {
        Map<String, Object> m = common(a);
        m.put("rule", h.getRuleId());
        m.put("label", h.getLabel());
        m.put("feature", a.getFeatureIds().isEmpty() ? null : a.getFeatureIds().get(0));
        m.put("value", a.getValue());
        m.put("source_model", h.getSourceModel());
        m.put("hook_point", h.getHookPoint());
        m.put("document_id", h.getDocumentId());
        m.put("text", h.getText());
        m.put("highlight", List.of(h.getHighlightStart(), h.getHighlightEnd()));
        m.put("suppressed", h.getSuppressed());
        return m;
    }

    private Map<String, Object> drift(Alert a) {
        Map<String, Object> m = common(a);
        m.put("score", a.getDriftScore());
        m.put("moved", a.getFeatureIds().size());
        List<Map<String, Object>> named = new ArrayList<>();
        for (int i = 0; i < Math.min(NAMED, a.getFeatureIds().size()); i++) {
            Map<String, Object> f = new LinkedHashMap<>();
            int feature = a.getFeatureIds().get(i);
            f.put("feature", feature);
            f.put("label", i < a.getLabels().size() ? a.getLabels().get(i) : "");
            f.put("reference_density", at(a.getReferenceDensities(), i));
            f.put("density", at(a.getDensities(), i));
            named.add(f);
        }
        m.put("features", named);
        return m;
    }

    private static Map<String, Object> common(Alert a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time_ms", a.getTimestampMs());
        m.put("type", a.getAlertType().toString());
        m.put("sae_id", a.getSaeId());
        m.put("version", a.getVersion());
        m.put("message", a.getMessage());
        return m;
    }

    private static Double at(List<Double> values, int i) {
        return i < values.size() ? values.get(i) : null;
    }

    /**
     * The page's data: rules, recent watch alerts, drift alerts (newest first), each drifted
     * feature with its top context as known now (contexts may come after the alert).
     */
    synchronized Map<String, Object> snapshot() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rules", new ArrayList<>(byId.values()));
        out.put("hits", new ArrayList<>(hits));
        List<Map<String, Object>> drifted = new ArrayList<>();
        for (Map<String, Object> d : drift) {
            Map<String, Object> copy = new LinkedHashMap<>(d);
            List<Map<String, Object>> features = new ArrayList<>();
            for (Object o : (List<?>) d.get("features")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> f = new LinkedHashMap<>((Map<String, Object>) o);
                f.put(
                        "top_context",
                        topContext.of(
                                (String) d.get("sae_id"),
                                (Long) d.get("version"),
                                (Integer) f.get("feature")));
                features.add(f);
            }
            copy.put("features", features);
            drifted.add(copy);
        }
        out.put("drift", drifted);
        return out;
    }
}
