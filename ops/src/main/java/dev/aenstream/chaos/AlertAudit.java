package dev.aenstream.chaos;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.topics.TopicSnapshot;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the alerts topic says after the soak: how many of each type; the tokens that statistics
 * missed (STATISTICS_LATE), which the counts must add back; the versions refused; and whether any
 * feature's alert was repeated. The monitor alerts a feature only when its state changes, so the
 * same state twice in a row (dead, then dead again) is an alert sent twice: state lost or a
 * transaction's output seen twice.
 */
final class AlertAudit {
    private static final Set<AlertType> FEATURE_STATES =
            Set.of(AlertType.FEATURE_DEAD, AlertType.FEATURE_RARE, AlertType.FEATURE_REVIVED);

    final Map<AlertType, Long> byType = new EnumMap<>(AlertType.class);
    final Map<String, Long> lateTokens = new HashMap<>();
    final Set<String> refused = new HashSet<>();
    long repeated;
    String firstRepeated;

    static AlertAudit run(KafkaConnection kafka, String topic) {
        AlertAudit audit = new AlertAudit();
        AvroSerde<Alert> serde = new AvroSerde<>(Alert.class);
        Map<String, AlertType> lastState = new HashMap<>();
        TopicSnapshot.forEach(
                kafka,
                topic,
                r -> {
                    Alert a = serde.fromBytes(r.value());
                    AlertType type = a.getAlertType();
                    String version = a.getSaeId() + "/v" + a.getVersion();
                    audit.byType.merge(type, 1L, Long::sum);
                    if (type == AlertType.STATISTICS_LATE)
                        audit.lateTokens.merge(version, (long) a.getValue(), Long::sum);
                    if (type == AlertType.MODEL_REFUSED) audit.refused.add(version);
                    if (!FEATURE_STATES.contains(type)) return;
                    // The monitor's state of a feature lives across versions: keyed by SAE.
                    for (int j : a.getFeatureIds()) {
                        String feature = a.getSaeId() + "#" + j;
                        if (lastState.put(feature, type) == type) {
                            audit.repeated++;
                            if (audit.firstRepeated == null)
                                audit.firstRepeated =
                                        type
                                                + " twice in a row for feature "
                                                + j
                                                + " of "
                                                + version;
                        }
                    }
                });
        return audit;
    }

    long count(AlertType type) {
        return byType.getOrDefault(type, 0L);
    }
}
