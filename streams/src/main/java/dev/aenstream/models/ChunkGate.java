package dev.aenstream.models;

import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The check a chunk passes before a follower writes it to disk ({@link ModelTrust#chunkRefusal}),
 * and the memory of why recent versions' chunks were dropped, so that their metadata is refused
 * with the reason rather than as chunks not found.
 */
final class ChunkGate {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkGate.class);

    private final VersionAdmission admission;

    /** Chunks not spooled: unsigned or forged, or of implausible versions. */
    private long refused;

    private final Map<String, String> reasons =
            new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                    return size() > ModelAssembler.MAX_SPOOLS;
                }
            };

    ChunkGate(VersionAdmission admission) {
        this.admission = admission;
    }

    /**
     * Whether {@code chunk}, read at {@code offset}, may be spooled, given the newest version of
     * its SAE known; a refusal is remembered and logged (at the 1st, 2nd, 4th... refusal).
     */
    boolean admits(SaeModelChunk chunk, long newestKnown, long offset) {
        String why = admission.chunkRefusal(chunk, newestKnown);
        if (why == null) return true;
        reasons.put(key(chunk.getSaeId(), chunk.getVersion()), why);
        if (Long.bitCount(++refused) == 1)
            LOG.warn(
                    "not spooling a chunk of SAE {} v{} at offset {} ({} so far): its chunks {}",
                    chunk.getSaeId(),
                    chunk.getVersion(),
                    offset,
                    refused,
                    why);
        return false;
    }

    /** Why {@code model}'s chunks were dropped, or null; forgets it. */
    String refusal(SaeModel model) {
        String why = reasons.remove(key(model.getSaeId(), model.getVersion()));
        return why == null ? null : VersionAdmission.name(model) + " refused: its chunks " + why;
    }

    private static String key(String saeId, long version) {
        return saeId + "\u0000" + version;
    }
}
