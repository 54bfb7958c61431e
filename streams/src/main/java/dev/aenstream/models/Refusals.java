package dev.aenstream.models;

import dev.aenstream.avro.SaeModel;
import dev.aenstream.monitor.FollowerAlerts;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a model follower will not serve: each refused version, and each record of the models topic
 * that names no version (bytes that are no model or chunk, a missing record type). Each is logged
 * and alerted once, however often the follower reads the topic again.
 */
final class Refusals {
    private static final Logger LOG = LoggerFactory.getLogger(Refusals.class);

    private final String topic;
    private final FollowerAlerts alerts;
    private final Map<String, Set<Long>> versions = new ConcurrentHashMap<>();
    private final Set<Long> offsets = ConcurrentHashMap.newKeySet();

    /**
     * @param alerts where refusals are alerted; null logs them only
     */
    Refusals(String topic, FollowerAlerts alerts) {
        this.topic = topic;
        this.alerts = alerts;
    }

    /** Whether {@code m}'s version was refused already. */
    boolean refused(SaeModel m) {
        return versions.getOrDefault(m.getSaeId(), Set.of()).contains(m.getVersion());
    }

    /** Refuses {@code model}'s version for {@code reason}. */
    void refuse(SaeModel model, String reason) {
        versions.computeIfAbsent(model.getSaeId(), id -> ConcurrentHashMap.newKeySet())
                .add(model.getVersion());
        LOG.warn(reason);
        if (alerts != null) alerts.refused(model.getSaeId(), model.getVersion(), reason);
    }

    /** Refuses the record at {@code offset}, which names no version, for {@code reason}. */
    void unreadable(long offset, String reason) {
        if (!offsets.add(offset)) return;
        LOG.warn("the record at offset {} of {} is not served: {}", offset, topic, reason);
        if (alerts != null) alerts.unreadable(topic, offset, reason);
    }

    /** The newest version refused per SAE id. */
    Map<String, Long> newest() {
        Map<String, Long> newest = new HashMap<>();
        versions.forEach((id, refused) -> newest.put(id, Collections.max(refused)));
        return Map.copyOf(newest);
    }
}
