package dev.aenstream.chaos;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.topics.TopicSnapshot;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What reached the codes topic for the soak's producer: how often each acknowledged batch was
 * encoded by each SAE, and which versions served them.
 */
final class CodesLedger {
    private final Set<String> saes;
    private final AvroSerde<FeatureCodes> serde = new AvroSerde<>(FeatureCodes.class);
    private final Map<String, Integer> codes = new HashMap<>();
    private final Map<String, Set<Long>> servedVersions = new HashMap<>();

    CodesLedger(Set<String> saes) {
        this.saes = Set.copyOf(saes);
    }

    /** Reads the whole codes topic again. */
    CodesLedger read(KafkaConnection kafka, String topic) {
        codes.clear();
        servedVersions.clear();
        for (var r : TopicSnapshot.read(kafka, topic)) {
            FeatureCodes c = serde.fromBytes(r.value());
            if (!RowProducer.PRODUCER_ID.equals(c.getProducerId()) || c.getPart() != 0) continue;
            codes.merge(c.getSequence() + "/" + c.getSaeId(), 1, Integer::sum);
            servedVersions.computeIfAbsent(c.getSaeId(), k -> new HashSet<>()).add(c.getVersion());
        }
        return this;
    }

    /** Whether every acknowledged batch has codes of every SAE. */
    boolean completes(Set<Long> acked) {
        return missing(acked) == 0;
    }

    /** (batch, SAE) pairs without codes. */
    long missing(Set<Long> acked) {
        long missing = 0;
        for (long s : acked) for (String sae : saes) if (count(s, sae) == 0) missing++;
        return missing;
    }

    /** Codes records beyond the first of each (batch, SAE). */
    long duplicated(Set<Long> acked) {
        long duplicated = 0;
        for (long s : acked) for (String sae : saes) duplicated += Math.max(0, count(s, sae) - 1);
        return duplicated;
    }

    /** The versions whose codes reached the topic, by SAE. */
    Map<String, Set<Long>> servedVersions() {
        return servedVersions;
    }

    private int count(long sequence, String sae) {
        return codes.getOrDefault(sequence + "/" + sae, 0);
    }
}
