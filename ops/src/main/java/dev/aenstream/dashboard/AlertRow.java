package dev.aenstream.dashboard;

import dev.aenstream.avro.Alert;
import dev.aenstream.monitor.Diagnosis;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An alert as the page's alert feed shows it. */
final class AlertRow {
    /** Features an alert links to on the page; the rest are counted. */
    static final int FEATURE_LINKS = 20;

    private AlertRow() {}

    static Map<String, Object> of(Alert a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time_ms", a.getTimestampMs());
        m.put("type", a.getAlertType().toString());
        m.put("severity", a.getSeverity().toString());
        m.put("sae_id", a.getSaeId());
        m.put("version", a.getVersion());
        m.put("features", a.getFeatureIds().size());
        m.put(
                "feature_ids",
                a.getFeatureIds().subList(0, Math.min(FEATURE_LINKS, a.getFeatureIds().size())));
        List<Float> h = a.getCrossLeverage();
        if (h != null) {
            int shadowed = 0;
            for (Float v : h) if (v != null && v >= Diagnosis.SHADOWED) shadowed++;
            m.put("shadowed", shadowed);
        }
        m.put("message", a.getMessage());
        return m;
    }
}
