package dev.aenstream.monitor;

import dev.aenstream.avro.SaeState;
import dev.aenstream.sae.train.FeatureWindow;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The monitor's views of an SAE whose dictionary is served in shards: keyed apart on the sae-state
 * topic, and merged into the view of the whole dictionary once every shard has one.
 */
public final class SaeStates {
    private SaeStates() {}

    /** The sae-state key: the SAE id, followed by {@code #i/S} for a shard's view. */
    public static String key(String saeId, int shard, int shards) {
        return shards == 1 ? saeId : saeId + "#" + shard + "/" + shards;
    }

    /**
     * Why a view's declared sizes do not hold together, or null when they do; checked before
     * anything is allocated for them, as views come from a topic.
     */
    public static String misfit(SaeState s) {
        if (s.getD() < 0) return "d=" + s.getD();
        if (s.getShards() < 1 || s.getShards() > FeatureAccumulator.MAX_PARTS)
            return "shards=" + s.getShards();
        if (s.getShard() < 0 || s.getShard() >= s.getShards())
            return "shard " + s.getShard() + " of " + s.getShards();
        if (s.getFeatureStatus() != null && s.getFeatureStatus().remaining() != s.getD())
            return "featureStatus holds "
                    + s.getFeatureStatus().remaining()
                    + " bytes for d="
                    + s.getD();
        return null;
    }

    /**
     * The views of every SAE, each merged from its shards' views where it is sharded; an SAE whose
     * shards have not all reported keeps its shards' views apart, as they are all that is known.
     * Views of one SAE in different shardings are not merged with each other.
     */
    public static List<SaeState> merged(Collection<SaeState> views) {
        Map<String, List<SaeState>> bySae = new TreeMap<>();
        // Views of one SAE served whole and in shards at once (as during a move) stay apart.
        for (SaeState s : views)
            bySae.computeIfAbsent(s.getSaeId() + "/" + s.getShards(), id -> new ArrayList<>())
                    .add(s);
        List<SaeState> out = new ArrayList<>();
        for (List<SaeState> shards : bySae.values()) {
            Optional<SaeState> whole = whole(shards);
            if (whole.isPresent()) out.add(whole.get());
            else out.addAll(shards);
        }
        return out;
    }

    /**
     * The view of the whole dictionary from one view per shard, or empty while a shard is missing:
     * features add up, dead and rare shares are weighted by each shard's features, l0 adds up (a
     * row's active features are the sum of each shard's), the density histograms add bin by bin;
     * tokens and version are the least any shard has reached; per-feature status side by side.
     */
    public static Optional<SaeState> whole(List<SaeState> shards) {
        if (shards.isEmpty()) return Optional.empty();
        int count = shards.get(0).getShards();
        if (count == 1) return Optional.of(shards.get(shards.size() - 1));
        if (count < 1 || count > FeatureAccumulator.MAX_PARTS) return Optional.empty();
        SaeState[] byShard = new SaeState[count];
        for (SaeState s : shards) {
            if (s.getShards() != count || misfit(s) != null) return Optional.empty();
            byShard[s.getShard()] = s;
        }
        int d = 0;
        long tokens = Long.MAX_VALUE;
        long version = Long.MAX_VALUE;
        long updated = 0;
        double dead = 0;
        double rare = 0;
        double l0 = 0;
        long[] histogram = new long[FeatureWindow.DECADES + 1];
        for (SaeState s : byShard) {
            if (s == null) return Optional.empty();
            d += s.getD();
            tokens = Math.min(tokens, s.getTokens());
            version = Math.min(version, s.getVersion());
            updated = Math.max(updated, s.getUpdatedAtMs());
            dead += s.getDeadPct() * s.getD();
            rare += s.getRarePct() * s.getD();
            l0 += s.getL0();
            for (int b = 0; b < Math.min(histogram.length, s.getDensityHistogram().size()); b++)
                histogram[b] += s.getDensityHistogram().get(b);
        }
        List<Long> bins = new ArrayList<>();
        for (long h : histogram) bins.add(h);
        // Shards lie side by side in feature order; one without per-feature status leaves it out.
        // Each status is as long as its shard's d (misfit), so the whole is what was received.
        java.nio.ByteBuffer status = null;
        if (java.util.Arrays.stream(byShard).allMatch(s -> s.getFeatureStatus() != null)) {
            status = java.nio.ByteBuffer.allocate(d);
            for (SaeState s : byShard) status.put(s.getFeatureStatus().duplicate());
        }
        return Optional.of(
                SaeState.newBuilder()
                        .setSaeId(byShard[0].getSaeId())
                        .setVersion(version)
                        .setD(d)
                        .setTokens(tokens)
                        .setDeadPct(d == 0 ? 0 : dead / d)
                        .setRarePct(d == 0 ? 0 : rare / d)
                        .setL0(l0)
                        .setDensityHistogram(bins)
                        .setUpdatedAtMs(updated)
                        .setFeatureStatus(status == null ? null : status.flip())
                        .build());
    }
}
