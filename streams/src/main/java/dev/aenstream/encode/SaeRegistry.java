package dev.aenstream.encode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The SAE versions the encoders serve now. Readers take one immutable snapshot per record, so a
 * swap happens between batches and never inside one.
 */
public final class SaeRegistry {
    private final AtomicReference<List<ServingSae>> serving = new AtomicReference<>(List.of());
    private final Lineages lineages = new Lineages();

    /** The lineage of every version read, to follow watched features across versions. */
    public Lineages lineages() {
        return lineages;
    }

    /** The current snapshot, ordered by saeId. */
    public List<ServingSae> serving() {
        return serving.get();
    }

    /** The version of {@code saeId} served now, or null. */
    public ServingSae get(String saeId) {
        for (ServingSae s : serving.get()) if (s.saeId().equals(saeId)) return s;
        return null;
    }

    /** The version number of {@code saeId} served now, 0 for none. */
    public long version(String saeId) {
        ServingSae s = get(saeId);
        return s == null ? 0 : s.version();
    }

    /**
     * Serves {@code sae}, replacing any version of the same saeId; returns the replaced one, if
     * any.
     */
    public ServingSae put(ServingSae sae) {
        ServingSae[] replaced = new ServingSae[1];
        serving.updateAndGet(
                current -> {
                    List<ServingSae> next = new ArrayList<>(current.size() + 1);
                    for (ServingSae s : current) {
                        if (s.saeId().equals(sae.saeId())) replaced[0] = s;
                        else next.add(s);
                    }
                    next.add(sae);
                    next.sort(Comparator.comparing(ServingSae::saeId));
                    return List.copyOf(next);
                });
        return replaced[0];
    }
}
