package dev.aenstream.dashboard;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.FeatureContext;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.SaeState;
import dev.aenstream.monitor.Diagnosis;
import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.monitor.TopContexts;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a feature page shows, per SAE: each version's top contexts and activation histogram, the
 * fire counts of the latest statistics windows, the monitor's status per feature, the latest dead
 * diagnosis, and each version's lineage, so that a feature is followed under the ids it had in
 * older versions. Bounded: {@link #VERSIONS_KEPT} versions, {@link #WINDOWS_KEPT} windows.
 */
final class FeatureViews {
    /** Versions whose contexts and histograms are kept per SAE: the newest ones. */
    static final int VERSIONS_KEPT = 3;

    /** Statistics windows kept per SAE for the density over time. */
    static final int WINDOWS_KEPT = 60;

    private static final String[] STATUS = {"alive", "rare", "dead"};

    private final Map<String, Sae> saes = new HashMap<>();

    private static final class Sae {
        final TreeMap<Long, Map<Integer, FeatureContexts>> contexts = new TreeMap<>();
        final TreeMap<Long, long[]> histograms = new TreeMap<>();
        final TreeMap<Long, long[]> fires = new TreeMap<>();
        final TreeMap<Long, Long> tokens = new TreeMap<>();
        final Deque<Window> windows = new ArrayDeque<>();
        byte[] status;
        long statusVersion;
        final Map<Integer, Float> crossLeverage = new HashMap<>();
        final Map<Integer, Long> deadSince = new HashMap<>();

        /** Per version, which feature of an earlier version each of its features continues. */
        final TreeMap<Long, Lineage> lineage = new TreeMap<>();
    }

    private record Lineage(long from, int[] previous, float[] cos) {}

    /** Versions whose lineage is kept per SAE: enough to follow a feature through the windows. */
    static final int LINEAGES_KEPT = 64;

    private record Window(long endMs, long version, long tokens, long[] fires, long[] histogram) {}

    private Sae sae(String id) {
        return saes.computeIfAbsent(id, k -> new Sae());
    }

    synchronized void contexts(FeatureContexts c) {
        Sae s = sae(c.getSaeId());
        // A newer record of a block holds the best of the older one; a block split between shards
        // comes in one record per shard: merging covers both.
        s.contexts
                .computeIfAbsent(c.getVersion(), v -> new HashMap<>())
                .merge(c.getBlock(), c, TopContexts::merge);
        trim(s.contexts);
    }

    /**
     * A window of the whole dictionary (shards already merged). The statistics topic carries every
     * update of a window, each holding the whole window so far: a later record of a window kept
     * here replaces it, so each window counts once, at its latest.
     */
    synchronized void window(FeatureStats f) {
        Sae s = sae(f.getSaeId());
        long[] fires = FeatureAccumulator.fireCounts(f);
        long[] histogram = FeatureAccumulator.histogram(f);
        Window w = new Window(f.getWindowEndMs(), f.getVersion(), f.getTokens(), fires, histogram);
        Window before = replace(s.windows, w);
        if (before != null) {
            add(s.histograms, before.version(), negated(before.histogram()));
            add(s.fires, before.version(), negated(before.fires()));
            s.tokens.merge(before.version(), -before.tokens(), Long::sum);
        }
        while (s.windows.size() > WINDOWS_KEPT) s.windows.removeFirst();
        add(s.histograms, f.getVersion(), histogram);
        add(s.fires, f.getVersion(), fires);
        s.tokens.merge(f.getVersion(), f.getTokens(), Long::sum);
        trim(s.histograms);
        trim(s.fires);
        trim(s.tokens);
    }

    /**
     * Puts {@code w} in the place of the kept window of the same version and end, or at the end;
     * returns the window it replaced, or null.
     */
    private static Window replace(Deque<Window> windows, Window w) {
        for (java.util.Iterator<Window> it = windows.descendingIterator(); it.hasNext(); ) {
            Window kept = it.next();
            if (kept.version() == w.version() && kept.endMs() == w.endMs()) {
                List<Window> all = new ArrayList<>(windows);
                int at = all.indexOf(kept);
                all.set(at, w);
                windows.clear();
                windows.addAll(all);
                return kept;
            }
        }
        windows.addLast(w);
        return null;
    }

    private static long[] negated(long[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) out[i] = -values[i];
        return out;
    }

    private static void add(TreeMap<Long, long[]> into, long version, long[] values) {
        long[] sum = into.computeIfAbsent(version, v -> new long[values.length]);
        if (sum.length != values.length) return;
        for (int i = 0; i < values.length; i++) sum[i] += values[i];
    }

    private static void trim(TreeMap<Long, ?> byVersion) {
        while (byVersion.size() > VERSIONS_KEPT) byVersion.pollFirstEntry();
    }

    /** The monitor's view of the whole dictionary (shards already merged). */
    synchronized void state(SaeState st) {
        if (st.getFeatureStatus() == null) return;
        Sae s = sae(st.getSaeId());
        byte[] status = new byte[st.getFeatureStatus().remaining()];
        st.getFeatureStatus().duplicate().get(status);
        s.status = status;
        s.statusVersion = st.getVersion();
    }

    /**
     * A version's lineage: which feature of version {@code from} each of its features continues.
     */
    synchronized void lineage(String saeId, long version, long from, int[] previous, float[] cos) {
        Sae s = sae(saeId);
        s.lineage.put(version, new Lineage(from, previous, cos));
        while (s.lineage.size() > LINEAGES_KEPT) s.lineage.pollFirstEntry();
    }

    /**
     * Feature {@code j} of version {@code newest} followed back: its id in each older version it
     * goes back to, newest first, until a version where it was new. A version without lineage keeps
     * the ids as they are.
     */
    private static TreeMap<Long, Integer> ids(Sae s, long newest, int j, Iterable<Long> versions) {
        TreeMap<Long, Integer> out = new TreeMap<>();
        java.util.TreeSet<Long> all = new java.util.TreeSet<>();
        versions.forEach(all::add);
        all.addAll(s.lineage.keySet());
        int id = j;
        long at = newest;
        out.put(newest, j);
        for (long v : all.headSet(newest, false).descendingSet()) {
            Lineage l = s.lineage.get(at);
            if (l != null && l.from() >= v) {
                id = id < l.previous().length ? l.previous()[id] : -1;
            }
            if (id < 0) break;
            out.put(v, id);
            at = v;
        }
        return out;
    }

    /**
     * FEATURE_DEAD (the monitor's count) dates a feature's death; FEATURE_STARVING (the trainer's
     * facts) carries why it starves.
     */
    synchronized void alert(Alert a) {
        boolean dead = a.getAlertType() == AlertType.FEATURE_DEAD;
        if (!dead && a.getAlertType() != AlertType.FEATURE_STARVING) return;
        Sae s = sae(a.getSaeId());
        List<Integer> ids = a.getFeatureIds();
        List<Float> h = a.getCrossLeverage();
        for (int i = 0; i < ids.size(); i++) {
            if (dead) s.deadSince.put(ids.get(i), a.getTimestampMs());
            else if (h != null && i < h.size() && h.get(i) != null)
                s.crossLeverage.put(ids.get(i), h.get(i));
        }
    }

    /** What the map of an SAE's dictionary is made from. */
    record Counts(long version, double[][] fires, byte[] status, long windowsEndMs) {}

    /**
     * Per feature its fire counts in each kept window, or null before two windows came. Windows of
     * every kept version count: a trainer's next version continues its features, id for id.
     */
    synchronized Counts counts(String saeId) {
        Sae s = saes.get(saeId);
        if (s == null || s.windows.isEmpty()) return null;
        long version = s.windows.getLast().version();
        int width = s.windows.getLast().fires().length;
        TreeMap<Long, long[]> byEnd = new TreeMap<>();
        for (Window w : s.windows) {
            if (w.fires().length != width) continue;
            long[] sum = byEnd.computeIfAbsent(w.endMs(), e -> new long[w.fires().length]);
            if (sum.length != w.fires().length) continue;
            for (int j = 0; j < sum.length; j++) sum[j] += w.fires()[j];
        }
        if (byEnd.size() < 2) return null;
        int d = byEnd.firstEntry().getValue().length;
        double[][] fires = new double[d][byEnd.size()];
        int t = 0;
        for (long[] window : byEnd.values()) {
            for (int j = 0; j < d; j++) fires[j][t] = window[j];
            t++;
        }
        byte[] status = s.status != null && s.status.length == d ? s.status.clone() : null;
        return new Counts(version, fires, status, byEnd.lastKey());
    }

    static String status(byte code) {
        return STATUS[code];
    }

    /** The page of feature {@code j} of SAE {@code saeId}, or null when nothing is known of it. */
    synchronized Map<String, Object> feature(String saeId, int j) {
        Sae s = saes.get(saeId);
        if (s == null || j < 0) return null;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sae_id", saeId);
        out.put("feature", j);
        if (s.status != null && j < s.status.length) {
            out.put("status", STATUS[s.status[j]]);
            out.put("status_version", s.statusVersion);
        }
        if (s.deadSince.containsKey(j)) out.put("dead_alert_ms", s.deadSince.get(j));
        Float h = s.crossLeverage.get(j);
        if (h != null && !h.isNaN()) {
            out.put("cross_leverage", h);
            out.put("diagnosis", Diagnosis.of(h));
        }
        List<Long> known = new ArrayList<>(s.contexts.keySet());
        known.addAll(s.histograms.keySet());
        for (Window w : s.windows) known.add(w.version());
        long newest = known.stream().mapToLong(Long::longValue).max().orElse(0);
        TreeMap<Long, Integer> ids = ids(s, newest, j, known);
        // Windows of versions served side by side (a swap inside a window) count together; each
        // version's window counts the feature under the id it had there.
        TreeMap<Long, long[]> byEnd = new TreeMap<>();
        for (Window w : s.windows) {
            Integer id = ids.get(w.version());
            if (id == null || id >= w.fires().length) continue;
            long[] sum = byEnd.computeIfAbsent(w.endMs(), e -> new long[2]);
            sum[0] += w.fires()[id];
            sum[1] += w.tokens();
        }
        List<Object> density = new ArrayList<>();
        byEnd.forEach(
                (end, sum) -> {
                    Map<String, Object> p = new LinkedHashMap<>();
                    p.put("end_ms", end);
                    p.put("tokens", sum[1]);
                    p.put("fires", sum[0]);
                    p.put("density", sum[1] == 0 ? 0 : (double) sum[0] / sum[1]);
                    density.add(p);
                });
        out.put("density", density);
        out.put("newest_version", newest);
        java.util.TreeSet<Long> shown = new java.util.TreeSet<>(s.contexts.keySet());
        shown.addAll(s.histograms.keySet());
        List<Object> versions = new ArrayList<>();
        for (long v : shown.descendingSet()) {
            Integer id = ids.get(v);
            if (id == null) continue;
            Map<String, Object> m = version(s, v, id);
            Lineage l = s.lineage.get(v);
            if (l != null && id < l.previous().length && l.previous()[id] >= 0) {
                m.put(
                        "continues",
                        Map.of(
                                "version",
                                l.from(),
                                "feature",
                                l.previous()[id],
                                "cos",
                                l.cos()[id]));
            } else if (l != null) {
                m.put("new_in_version", true);
            }
            versions.add(m);
        }
        out.put("versions", versions);
        double[] edges = new double[FeatureAccumulator.HISTOGRAM_BINS];
        for (int b = 0; b < edges.length; b++) edges[b] = FeatureAccumulator.binStart(b);
        out.put("histogram_edges", edges);
        return out;
    }

    /** The text around feature j's best token in version v, or null while none is known. */
    synchronized String topContext(String saeId, long v, int j) {
        Sae s = saes.get(saeId);
        Map<Integer, FeatureContexts> blocks = s == null ? null : s.contexts.get(v);
        FeatureContexts block = blocks == null ? null : blocks.get(j / TopContexts.BLOCK_SIZE);
        if (block == null) return null;
        for (FeatureContext c : block.getContexts())
            if (c.getFeature() == j && c.getText() != null) return c.getText();
        return null;
    }

    /** What is known of feature j in version v: fires, tokens, histogram, top contexts. */
    private static Map<String, Object> version(Sae s, long v, int j) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", v);
        m.put("feature", j);
        long[] fires = s.fires.get(v);
        if (fires != null && j < fires.length) {
            m.put("fires", fires[j]);
            m.put("tokens", s.tokens.get(v));
        }
        long[] hist = s.histograms.get(v);
        int bins = FeatureAccumulator.HISTOGRAM_BINS;
        if (hist != null && (j + 1) * bins <= hist.length) {
            long[] mine = new long[bins];
            System.arraycopy(hist, j * bins, mine, 0, bins);
            m.put("histogram", mine);
        }
        List<Object> contexts = new ArrayList<>();
        Map<Integer, FeatureContexts> blocks = s.contexts.get(v);
        FeatureContexts block = blocks == null ? null : blocks.get(j / TopContexts.BLOCK_SIZE);
        if (block != null) {
            for (FeatureContext c : block.getContexts()) {
                if (c.getFeature() != j) continue;
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("value", c.getValue());
                x.put("text", c.getText());
                x.put("highlight", new int[] {c.getHighlightStart(), c.getHighlightEnd()});
                x.put("token_id", c.getTokenId());
                x.put("document_id", c.getDocumentId());
                x.put("text_start", c.getTextStart());
                x.put("producer_id", c.getProducerId());
                x.put("sequence", c.getSequence());
                x.put("row", c.getRow());
                contexts.add(x);
            }
        }
        m.put("contexts", contexts);
        return m;
    }
}
