package dev.aenstream.dashboard;

import dev.aenstream.sae.eval.PoissonSne;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live map of each SAE's dictionary: p-SNE of its features' fire counts over the latest
 * statistics windows, fitted on one background thread when a page asks and the last map is older
 * than {@link #REFRESH_MS}, so that a dashboard nobody looks at costs nothing.
 */
final class DictionaryMap implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DictionaryMap.class);

    /** How old a map may be before a request starts a new fit. */
    static final long REFRESH_MS = 30_000;

    private final Function<String, FeatureViews.Counts> counts;
    private final PoissonSne.Config config;
    private final Map<String, Map<String, Object>> maps = new ConcurrentHashMap<>();
    private final Map<String, Boolean> fitting = new ConcurrentHashMap<>();
    private final ExecutorService worker =
            Executors.newSingleThreadExecutor(
                    r -> {
                        Thread t = new Thread(r, "aen-dictionary-map");
                        t.setDaemon(true);
                        t.setPriority(Thread.MIN_PRIORITY);
                        return t;
                    });

    DictionaryMap(Function<String, FeatureViews.Counts> counts, PoissonSne.Config config) {
        this.counts = counts;
        this.config = config;
    }

    /** The latest map of {@code saeId}, or a note that one is being made; a stale one is refit. */
    Map<String, Object> map(String saeId) {
        Map<String, Object> last = maps.get(saeId);
        boolean stale =
                last == null
                        || System.currentTimeMillis() - (Long) last.get("computed_at_ms")
                                > REFRESH_MS;
        if (stale && fitting.putIfAbsent(saeId, true) == null) {
            worker.execute(
                    () -> {
                        try {
                            Map<String, Object> map = fit(saeId);
                            if (map != null) maps.put(saeId, map);
                        } catch (RuntimeException e) {
                            LOG.warn("the map of SAE {} failed: {}", saeId, e.toString());
                        } finally {
                            fitting.remove(saeId);
                        }
                    });
        }
        if (last != null) return last;
        Map<String, Object> pending = new LinkedHashMap<>();
        pending.put("sae_id", saeId);
        pending.put("points", List.of());
        pending.put("note", "the map is being made; it needs two statistics windows");
        return pending;
    }

    private Map<String, Object> fit(String saeId) {
        FeatureViews.Counts c = counts.apply(saeId);
        if (c == null) return null;
        long start = System.nanoTime();
        int d = c.fires().length;
        int[] picked = PoissonSne.sample(d, config.maxPoints(), config.seed());
        double[][] rows = new double[picked.length][];
        for (int i = 0; i < picked.length; i++) rows[i] = c.fires()[picked[i]];
        double[][] y = PoissonSne.psne(rows, config);
        List<Object> points = new ArrayList<>(picked.length);
        int windows = c.fires()[0].length;
        for (int i = 0; i < picked.length; i++) {
            double fires = 0;
            for (double f : rows[i]) fires += f;
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("feature", picked[i]);
            p.put("x", y[i][0]);
            p.put("y", y[i][1]);
            p.put("fires", fires);
            if (c.status() != null) p.put("status", FeatureViews.status(c.status()[picked[i]]));
            points.add(p);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sae_id", saeId);
        out.put("version", c.version());
        out.put("method", "p-SNE of fire counts per statistics window");
        out.put("features", d);
        out.put("sampled", picked.length);
        out.put("windows", windows);
        out.put("seconds", (System.nanoTime() - start) / 1e9);
        out.put("computed_at_ms", System.currentTimeMillis());
        out.put("points", points);
        return out;
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
