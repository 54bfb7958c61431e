package dev.aenstream.monitor;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.WatchCondition;
import dev.aenstream.avro.WatchRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watch rules as a processor sees them: every instance holds the whole watch-rules topic in a
 * global store, so a rule set from the CLI applies everywhere within a second, with no restart.
 * Rules come from a topic and are untrusted: one that does not hold together is skipped with a
 * warning ({@link #misfit}, the same check the CLI applies before it publishes).
 */
public final class WatchRules {
    private static final Logger LOG = LoggerFactory.getLogger(WatchRules.class);

    /** The global store of the watch-rules topic, keyed by rule id. */
    public static final String STORE = "watch-rules";

    /** How stale a processor's view of the rules may be. */
    static final long REFRESH_MS = 1_000;

    private static final AvroSerde<WatchRule> SERDE = new AvroSerde<>(WatchRule.class);
    private KeyValueStore<String, byte[]> store;
    private Map<String, List<WatchRule>> bySae = Map.of();
    private Map<String, Map<Long, Map<Integer, String>>> labels = Map.of();

    /**
     * Rules decoded at the last refresh, by id with their bytes: unchanged ones are not decoded
     * again.
     */
    private Map<String, Decoded> decoded = new HashMap<>();

    private record Decoded(byte[] bytes, WatchRule rule) {}

    private long readAt;
    private boolean read;

    /** Adds the global store every processor reads the rules from. */
    public static void addStore(StreamsBuilder builder, Topics topics) {
        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore(STORE),
                                Serdes.String(),
                                Serdes.ByteArray())
                        .withLoggingDisabled(),
                topics.watchRules(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("watch-rules"),
                () -> new Loader());
    }

    /** Keeps the global store equal to the topic: a rule per id, a tombstone removes it. */
    private static final class Loader implements Processor<String, byte[], Void, Void> {
        private KeyValueStore<String, byte[]> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            if (record.key() == null) return;
            if (record.value() == null) store.delete(record.key());
            else store.put(record.key(), record.value());
        }
    }

    /** Connects to the store; a topology built without it has no rules. */
    public void init(ProcessorContext<?, ?> context) {
        try {
            store = context.getStateStore(STORE);
        } catch (StreamsException | IllegalArgumentException e) {
            store = null;
        }
    }

    /**
     * Reads the store again when the view is older than {@link #REFRESH_MS}, decoding only the
     * rules that changed, and indexes the rules by SAE and the labels by SAE, version and feature,
     * so that a batch or a drift alert looks rules up rather than scanning them all.
     */
    private void refresh() {
        long now = System.currentTimeMillis();
        if (store == null || (read && now - readAt < REFRESH_MS)) return;
        readAt = now;
        read = true;
        Map<String, Decoded> fresh = new HashMap<>();
        Map<String, List<WatchRule>> sae = new HashMap<>();
        Map<String, Map<Long, Map<Integer, String>>> named = new HashMap<>();
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            while (all.hasNext()) {
                var kv = all.next();
                Decoded before = decoded.get(kv.key);
                WatchRule r =
                        before != null && Arrays.equals(before.bytes(), kv.value)
                                ? before.rule()
                                : read(kv.key, kv.value);
                fresh.put(kv.key, new Decoded(kv.value, r));
                if (r == null) continue;
                sae.computeIfAbsent(r.getSaeId(), id -> new ArrayList<>()).add(r);
                if (!r.getLabel().isEmpty())
                    named.computeIfAbsent(r.getSaeId(), id -> new HashMap<>())
                            .computeIfAbsent(r.getVersion(), v -> new HashMap<>())
                            .putIfAbsent(r.getFeature(), r.getLabel());
            }
        }
        decoded = fresh;
        bySae = sae;
        labels = named;
    }

    /** The rule of id {@code ruleId} as last read, or null. */
    public WatchRule byId(String ruleId) {
        refresh();
        Decoded d = decoded.get(ruleId);
        return d == null ? null : d.rule();
    }

    /** The rules of {@code saeId} (do not modify). */
    public List<WatchRule> of(String saeId) {
        refresh();
        return bySae.getOrDefault(saeId, List.of());
    }

    /** Whether {@code r} names its feature by the ids of {@code version}. */
    public static boolean at(WatchRule r, long version) {
        return r.getVersion() == version || r.getVersion() == 0;
    }

    /** The label of {@code feature} of {@code version}, or "" when no rule names it. */
    public String label(String saeId, long version, int feature) {
        refresh();
        Map<Long, Map<Integer, String>> versions = labels.getOrDefault(saeId, Map.of());
        String label = versions.getOrDefault(version, Map.of()).get(feature);
        return label != null
                ? label
                : versions.getOrDefault(0L, Map.of()).getOrDefault(feature, "");
    }

    private static WatchRule read(String key, byte[] value) {
        Reading reading = Reading.of(value);
        if (reading.rule() == null) LOG.warn("skipping watch rule {}: {}", key, reading.refusal());
        return reading.rule();
    }

    /**
     * What a record of the watch-rules topic holds: its rule, or why no processor applies it (bytes
     * that are no rule, or a rule that does not hold together).
     *
     * @param rule the rule, or null when refused
     * @param refusal why it is refused, or null when applied
     */
    public record Reading(WatchRule rule, String refusal) {
        /** Reads a record's value; the topic is untrusted input. */
        public static Reading of(byte[] value) {
            WatchRule r;
            try {
                r = SERDE.fromBytes(value);
            } catch (RuntimeException e) {
                return new Reading(null, "unreadable (" + e.getMessage() + ")");
            }
            String misfit = misfit(r);
            return misfit == null ? new Reading(r, null) : new Reading(null, misfit);
        }
    }

    /** Why {@code r} does not hold together, or null when it does. */
    public static String misfit(WatchRule r) {
        if (r.getRuleId().isBlank()) return "a rule needs an id";
        if (r.getSaeId().isBlank()) return "a rule needs an SAE id";
        if (r.getFeature() < 0) return "feature must be a feature id (>= 0), got " + r.getFeature();
        if (r.getVersion() < 0) return "version must be >= 0 (0: any), got " + r.getVersion();
        double t = r.getThreshold();
        return switch (r.getCondition()) {
            case LABEL -> r.getLabel().isBlank() ? "a LABEL rule needs a label" : null;
            case ACTIVATION_ABOVE -> {
                if (!(t > 0) || !Double.isFinite(t))
                    yield "an ACTIVATION_ABOVE threshold must be a positive activation, got " + t;
                if (r.getDedupWindowMs() < 0) yield "dedupWindowMs must be >= 0";
                if (r.getMaxAlertsPerMinute() < 1) yield "maxAlertsPerMinute must be >= 1";
                yield null;
            }
            case DENSITY_ABOVE, DENSITY_BELOW -> {
                if (!(t > 0 && t < 1))
                    yield r.getCondition() + " threshold must be a density in (0, 1), got " + t;
                if (r.getWindowTokens() < 1) yield "windowTokens must be positive";
                yield null;
            }
            case UNKNOWN -> "condition unknown to this reader (a newer writer's?)";
        };
    }

    /** Whether {@code r} raises alerts (a LABEL rule only names its feature). */
    public static boolean alerts(WatchRule r) {
        return r.getCondition() != WatchCondition.LABEL;
    }
}
