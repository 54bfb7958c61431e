package dev.aenstream.encode;

import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.sae.SparseCodes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A reader's side of a sharded dictionary: takes codes records as they come off the codes topic and
 * gives each batch's codes once every shard's parts of it are in, merged into the global top-k of
 * each row ({@link SparseCodes#merge}). Unsharded codes pass through once their parts are in.
 * Batches still waiting are bounded: past {@link #maxPending} the oldest is given up and counted.
 */
public final class ShardedCodes {
    /** One batch's codes of one SAE version, whole. */
    public record Batch(
            String saeId, long version, String producerId, long sequence, SparseCodes codes) {}

    private final int kMax;
    private final int maxPending;
    private final Map<String, List<FeatureCodes>> pending;
    private long abandoned;

    /**
     * @param kMax the SAE's k_max (its model's metadata): how many entries a merged row keeps
     * @param maxPending batches waiting for shards at most
     */
    public ShardedCodes(int kMax, int maxPending) {
        if (kMax <= 0 || maxPending <= 0)
            throw new IllegalArgumentException("k_max and pending batches must be positive");
        this.kMax = kMax;
        this.maxPending = maxPending;
        this.pending =
                new LinkedHashMap<>() {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<String, List<FeatureCodes>> e) {
                        if (size() <= ShardedCodes.this.maxPending) return false;
                        abandoned++;
                        return true;
                    }
                };
    }

    /** Takes one record; returns its batch when this record completes it. */
    public Optional<Batch> add(FeatureCodes record) {
        int shards = Math.max(1, record.getShards());
        if (record.getShard() < 0 || record.getShard() >= shards)
            throw new IllegalArgumentException(
                    "a record of shard " + record.getShard() + " of " + shards);
        String key =
                record.getSaeId()
                        + "/v"
                        + record.getVersion()
                        + "/"
                        + record.getProducerId()
                        + "/"
                        + record.getSequence()
                        + "/"
                        + shards;
        List<FeatureCodes> parts = pending.computeIfAbsent(key, k -> new ArrayList<>());
        // Under at-least-once a record may come twice: the first copy counts.
        for (FeatureCodes p : parts)
            if (p.getShard() == record.getShard() && p.getPart() == record.getPart())
                return Optional.empty();
        parts.add(record);
        List<List<FeatureCodes>> byShard = new ArrayList<>();
        for (int s = 0; s < shards; s++) byShard.add(new ArrayList<>());
        for (FeatureCodes p : parts) byShard.get(p.getShard()).add(p);
        for (List<FeatureCodes> shard : byShard)
            if (shard.isEmpty() || shard.size() != shard.get(0).getParts()) return Optional.empty();
        pending.remove(key);
        List<SparseCodes> codes = new ArrayList<>(shards);
        for (List<FeatureCodes> shard : byShard) codes.add(CodesRecords.join(shard));
        SparseCodes whole =
                shards == 1
                        ? codes.get(0)
                        : SparseCodes.merge(codes, new int[shards], record.getD(), kMax);
        return Optional.of(
                new Batch(
                        record.getSaeId(),
                        record.getVersion(),
                        record.getProducerId(),
                        record.getSequence(),
                        whole));
    }

    /** Batches waiting for a shard's codes. */
    public int pending() {
        return pending.size();
    }

    /** Batches given up because more than {@code maxPending} were waiting. */
    public long abandoned() {
        return abandoned;
    }
}
