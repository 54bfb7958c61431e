package dev.aenstream.dashboard;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.ModelHead;
import dev.aenstream.avro.SpliceFigures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the model loses with each SAE version spliced in (the splice-figures topic, cumulative per
 * version so the latest record of a version is its figure), beside the monitor's dead share of that
 * version: per SAE, columns over versions for the dashboard.
 */
final class SplicedScores {
    /** The figures shown per version, besides the score. */
    private static final List<String> FIGURES = List.of("kl_div_with_sae", "fve", "l0");

    private final AvroSerde<SpliceFigures> serde = new AvroSerde<>(SpliceFigures.class);
    private final Map<String, Map<Long, Map<String, Object>>> bySae = new ConcurrentHashMap<>();
    private final Map<String, Map<Long, Double>> deadPct = new ConcurrentHashMap<>();

    /** Reads one splice-figures record. */
    void accept(byte[] value) {
        SpliceFigures f = serde.fromBytes(value);
        Map<String, Double> figures = new LinkedHashMap<>();
        f.getFigures().forEach((k, v) -> figures.put(k.toString(), v));
        String score = f.getHead() == ModelHead.EMBEDDING ? "embedding_score" : "ce_loss_score";
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("version", f.getVersion());
        v.put("score_name", score);
        v.put("score", figures.get(score));
        for (String name : FIGURES) v.put(name, figures.get(name));
        v.put("tokens", f.getTokens());
        v.put("source_model", f.getSourceModel().toString());
        v.put("hook_point", f.getHookPoint().toString());
        Map<Long, Map<String, Object>> versions =
                bySae.computeIfAbsent(f.getSaeId().toString(), k -> new TreeMap<>());
        synchronized (versions) {
            versions.put(f.getVersion(), v);
        }
    }

    /** The monitor's dead share of {@code saeId} while it served {@code version}, the latest. */
    void deadPct(String saeId, long version, double pct) {
        Map<Long, Double> versions = deadPct.computeIfAbsent(saeId, k -> new TreeMap<>());
        synchronized (versions) {
            versions.put(version, pct);
        }
    }

    /**
     * Columns over the spliced versions of {@code saeId} ({@code x}: version; score, figures, dead
     * share), and the rows themselves; empty when none was spliced.
     */
    Map<String, Object> of(String saeId) {
        Map<Long, Map<String, Object>> versions = bySae.get(saeId);
        if (versions == null) return Map.of();
        List<Map<String, Object>> rows;
        synchronized (versions) {
            rows = new ArrayList<>(versions.values());
        }
        Map<Long, Double> dead = deadPct.getOrDefault(saeId, Map.of());
        Map<String, Object> out = new LinkedHashMap<>();
        List<Object> x = new ArrayList<>();
        List<Object> score = new ArrayList<>();
        Map<String, List<Object>> columns = new LinkedHashMap<>();
        for (String name : FIGURES) columns.put(name, new ArrayList<>());
        List<Object> deadColumn = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> r = new LinkedHashMap<>(rows.get(i));
            rows.set(i, r);
            x.add(r.get("version"));
            score.add(r.get("score"));
            for (String name : FIGURES) columns.get(name).add(r.get(name));
            Double d;
            synchronized (dead) {
                d = dead.get((Long) r.get("version"));
            }
            r.put("dead_pct", d);
            deadColumn.add(d);
        }
        out.put("x", x);
        out.put("score", score);
        out.putAll(columns);
        out.put("dead_pct", deadColumn);
        out.put("score_name", rows.get(rows.size() - 1).get("score_name"));
        out.put("rows", rows);
        return out;
    }
}
