package dev.aenstream.encode;

import dev.aenstream.avro.LittleEndian;
import dev.aenstream.avro.SaeModel;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The lineage of each version the model follower has read (trusted), so that a feature named by its
 * id in one version is followed to its match in a later one: per version, which feature of the
 * version it was matched to each of its features continues (docs/training.md, lineage).
 */
public final class Lineages {
    /** Versions whose lineage is kept per SAE. */
    static final int KEPT = 256;

    /** A version's lineage; {@code from} -1: ids carry over from the version before. */
    private record Link(long from, int[] previous, float[] cos) {}

    private final Map<String, NavigableMap<Long, Link>> bySae = new ConcurrentHashMap<>();

    /** Records the lineage a trusted version's record carries. */
    public void record(SaeModel m) {
        Link link =
                m.getLineageFrom() == null || m.getLineage() == null
                        ? new Link(-1, null, null)
                        : new Link(
                                m.getLineageFrom(),
                                LittleEndian.ints(m.getLineage().duplicate()),
                                m.getLineageCos() == null
                                        ? null
                                        : LittleEndian.floats(m.getLineageCos().duplicate()));
        record(m.getSaeId(), m.getVersion(), link);
    }

    /** Records that {@code version} continues {@code from}'s features as {@code previous} says. */
    public void record(String saeId, long version, long from, int[] previous, float[] cos) {
        record(saeId, version, new Link(from, previous, cos));
    }

    private void record(String saeId, long version, Link link) {
        NavigableMap<Long, Link> links =
                bySae.computeIfAbsent(
                        saeId, id -> new java.util.concurrent.ConcurrentSkipListMap<>());
        links.put(version, link);
        while (links.size() > KEPT) links.pollFirstEntry();
    }

    /** What became of a feature: its id in the later version, or why it has none. */
    public record Followed(int feature, String lost) {
        public boolean found() {
            return lost == null;
        }
    }

    /**
     * The id in version {@code to} of feature {@code feature} of version {@code at}, followed
     * through every version between whose lineage is known; where several features continue it, the
     * closest (largest |cos|).
     */
    public Followed follow(String saeId, int feature, long at, long to) {
        if (at == to) return new Followed(feature, null);
        NavigableMap<Long, Link> links = bySae.getOrDefault(saeId, new TreeMap<>());
        if (!links.containsKey(to))
            return new Followed(-1, "no lineage is known for version " + to);
        long cur = at;
        int f = feature;
        for (Map.Entry<Long, Link> e : links.subMap(at, false, to, true).entrySet()) {
            Link l = e.getValue();
            if (l.from() < 0) {
                cur = e.getKey(); // ids carry over
                continue;
            }
            if (l.from() != cur)
                return new Followed(
                        -1,
                        "version "
                                + e.getKey()
                                + " continues version "
                                + l.from()
                                + ", not "
                                + cur
                                + ", where feature "
                                + f
                                + " was last followed");
            int best = -1;
            float bestCos = -1;
            for (int j = 0; j < l.previous().length; j++) {
                float c = l.cos() == null ? 0 : Math.abs(l.cos()[j]);
                if (l.previous()[j] == f && c > bestCos) {
                    best = j;
                    bestCos = c;
                }
            }
            if (best < 0)
                return new Followed(
                        -1,
                        "no feature of version "
                                + e.getKey()
                                + " continues feature "
                                + f
                                + " of "
                                + cur);
            f = best;
            cur = e.getKey();
        }
        return cur == to
                ? new Followed(f, null)
                : new Followed(-1, "no lineage links version " + at + " to " + to);
    }
}
