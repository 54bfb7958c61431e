package dev.aenstream.encode;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.monitor.RowOrigins;
import dev.aenstream.monitor.TopContexts;
import dev.aenstream.sae.SparseCodes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The encoder's contexts stage: the tokens of each batch that may be among their features' top
 * contexts. Candidates wait in a changelogged store and go out together every few seconds to {@link
 * EncodeTopology#CONTEXTS}: merging them downstream costs a whole block each time, and the store
 * keeps them exact under exactly-once (a crash restores what was not yet sent).
 */
final class ContextCandidates {
    private final MonitorConfig monitor;
    private final ProcessorContext<byte[], Object> context;
    private final KeyValueStore<String, byte[]> store;

    /** Per SAE id the current version's top contexts; only their thresholds live here. */
    private final Map<String, TopContexts> topContexts = new HashMap<>();

    private final AvroSerde<FeatureContexts> serde = new AvroSerde<>(FeatureContexts.class);

    ContextCandidates(
            MonitorConfig monitor,
            ProcessorContext<byte[], Object> context,
            KeyValueStore<String, byte[]> store) {
        this.monitor = monitor;
        this.context = context;
        this.store = store;
    }

    /** Keeps the tokens of {@code batch} that may be among {@code sae}'s features' top contexts. */
    void add(ServingSae sae, SparseCodes codes, RowOrigins origins, ActivationBatch batch) {
        if (monitor.get(MonitorConfig.TOP_CONTEXTS) == 0) return;
        TopContexts top = topContexts.get(sae.saeId());
        if (top == null || top.version() != sae.version()) {
            top =
                    new TopContexts(
                            sae.saeId(),
                            sae.version(),
                            codes.d(),
                            monitor.get(MonitorConfig.TOP_CONTEXTS),
                            monitor.get(MonitorConfig.CONTEXT_CHARS));
            topContexts.put(sae.saeId(), top);
        }
        for (FeatureContexts c :
                top.candidates(codes, origins, batch.getProducerId(), batch.getSequence())) {
            // One entry per batch and block: a record's candidates are written once.
            String key =
                    TopContexts.key(
                                    c.getSaeId(),
                                    sae.shard().index(),
                                    sae.shard().count(),
                                    c.getBlock())
                            + "|"
                            + c.getVersion()
                            + "|"
                            + batch.getProducerId()
                            + "|"
                            + batch.getSequence();
            store.put(key, serde.toBytes(c));
        }
    }

    /** Forwards the waiting candidates, one record per block and version, and forgets them. */
    void flush() {
        Map<String, List<FeatureContexts>> blocks = new HashMap<>();
        List<String> sent = new ArrayList<>();
        try (var all = store.all()) {
            all.forEachRemaining(
                    kv -> {
                        FeatureContexts part = serde.fromBytes(kv.value);
                        String block = kv.key.substring(0, kv.key.indexOf('|'));
                        blocks.computeIfAbsent(
                                        block + "|" + part.getVersion(), b -> new ArrayList<>())
                                .add(part);
                        sent.add(kv.key);
                    });
        }
        long now = System.currentTimeMillis();
        blocks.forEach(
                (key, parts) ->
                        context.forward(
                                new Record<byte[], Object>(
                                        key.substring(0, key.indexOf('|'))
                                                .getBytes(StandardCharsets.UTF_8),
                                        TopContexts.gather(parts),
                                        now),
                                EncodeTopology.CONTEXTS));
        for (String key : sent) store.delete(key);
    }
}
