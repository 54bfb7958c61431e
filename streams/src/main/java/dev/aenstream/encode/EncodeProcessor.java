package dev.aenstream.encode;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.PayloadException;
import dev.aenstream.avro.SourceBinding;
import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.monitor.RowOrigins;
import dev.aenstream.monitor.TopContexts;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.runtime.SaeEncoder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encodes each activation record with every SAE the registry serves, in one ONNX Runtime call per
 * SAE, and forwards a codes record per SAE; a record it cannot encode becomes a dead letter with
 * the reason and its original bytes. With statistics on, it accumulates per-feature statistics per
 * SAE and forwards one partial record per SAE and window, and the tokens of each batch that may be
 * among their features' top contexts.
 */
final class EncodeProcessor implements Processor<byte[], byte[], byte[], Object> {
    private static final Logger LOG = LoggerFactory.getLogger(EncodeProcessor.class);
    static final String APPLICATION = "encode";

    private final SaeRegistry registry;
    private final EncodeStats stats;
    private final RecordLimits limits;
    private final ActivationCheck check;

    /** Null when statistics are off. */
    private final MonitorConfig monitor;

    private final Map<String, FeatureAccumulator> accumulators = new HashMap<>();

    /** Per SAE id the current version's top contexts; only their thresholds live here. */
    private final Map<String, TopContexts> topContexts = new HashMap<>();

    private final AvroSerde<FeatureStats> statsSerde = new AvroSerde<>(FeatureStats.class);
    private final AvroSerde<FeatureContexts> contextsSerde = new AvroSerde<>(FeatureContexts.class);

    /** How often waiting top-context candidates go out: feature pages lag by at most this. */
    static final long CONTEXTS_FLUSH_MS = 5_000;

    private KeyValueStore<String, byte[]> candidateStore;
    private KeyValueStore<String, byte[]> accumulatorStore;
    private final Counter rowsMeter = Metrics.counter("aen.encode.rows");
    private final Timer batchMeter =
            Timer.builder("aen.encode.batch")
                    .description("Time to encode one activation record with every SAE")
                    .publishPercentileHistogram()
                    .register(Metrics.globalRegistry);
    private final Timer ortMeter =
            Timer.builder("aen.ort")
                    .description("Time inside ONNX Runtime per call")
                    .register(Metrics.globalRegistry);
    private final Timer loadMeter =
            Timer.builder("aen.encode.load")
                    .description(
                            "Time to decode and check one activation record's rows, before"
                                    + " encoding")
                    .register(Metrics.globalRegistry);
    private final Timer statisticsMeter =
            Timer.builder("aen.encode.statistics")
                    .description(
                            "Time to add one record's codes to the statistics (with the fve's"
                                    + " reconstruction) and save them, per SAE")
                    .register(Metrics.globalRegistry);
    private ProcessorContext<byte[], Object> context;

    /** Reused native-order input buffer, grown to the largest batch seen. */
    private FloatBuffer rows = FloatBuffer.allocate(0);

    EncodeProcessor(
            SaeRegistry registry, EncodeStats stats, MonitorConfig monitor, RecordLimits limits) {
        this.registry = registry;
        this.stats = stats;
        this.monitor = monitor;
        this.limits = limits;
        this.check = new ActivationCheck(limits.maxRecordValues());
    }

    @Override
    public void init(ProcessorContext<byte[], Object> context) {
        this.context = context;
        if (monitor == null) return;
        // The accumulators survive a crash in a changelogged store, written once per batch and SAE,
        // so that the
        // tokens of batches whose offsets were committed are never lost from the statistics.
        accumulatorStore = context.getStateStore(EncodeTopology.ACCUMULATORS);
        try (var all = accumulatorStore.all()) {
            all.forEachRemaining(
                    kv ->
                            accumulators.put(
                                    kv.key,
                                    FeatureAccumulator.fromRecord(statsSerde.fromBytes(kv.value))));
        }
        context.schedule(
                Duration.ofMillis(monitor.windowMs()),
                PunctuationType.WALL_CLOCK_TIME,
                this::flushDue);
        candidateStore = context.getStateStore(EncodeTopology.CONTEXT_CANDIDATES);
        context.schedule(
                Duration.ofMillis(CONTEXTS_FLUSH_MS),
                PunctuationType.WALL_CLOCK_TIME,
                now -> flushContexts());
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        long start = System.nanoTime();
        try {
            ActivationBatch batch = check.decode(record.value());
            RowOrigins origins = origins(batch);
            List<ServingSae> saes = bound(registry.serving(), batch);
            long loadStart = System.nanoTime();
            FloatBuffer x = load(batch, saes);
            loadMeter.record(System.nanoTime() - loadStart, TimeUnit.NANOSECONDS);
            // Every SAE encodes before anything is forwarded: one input yields all its codes or
            // one dead letter, never both.
            List<SparseCodes> all = new ArrayList<>(saes.size());
            List<List<FeatureCodes>> records = new ArrayList<>(saes.size());
            for (ServingSae sae : saes) {
                long ortStart = System.nanoTime();
                SparseCodes codes = sae.global(encode(sae, x, batch.getRows()));
                ortMeter.record(System.nanoTime() - ortStart, TimeUnit.NANOSECONDS);
                all.add(codes);
                records.add(
                        CodesRecords.toRecords(
                                codes,
                                sae.saeId(),
                                sae.version(),
                                batch.getProducerId(),
                                batch.getSequence(),
                                sae.shard(),
                                origins,
                                limits.maxRecordBytes()));
            }
            for (int i = 0; i < saes.size(); i++) {
                for (FeatureCodes part : records.get(i))
                    context.forward(record.withValue(part), EncodeTopology.CODES);
                stats.encoded(all.get(i).rows(), activeSum(all.get(i)));
                if (monitor != null) {
                    long statisticsStart = System.nanoTime();
                    accumulate(saes.get(i), x, all.get(i), record.timestamp());
                    contexts(saes.get(i), all.get(i), origins, batch, record.timestamp());
                    statisticsMeter.record(
                            System.nanoTime() - statisticsStart, TimeUnit.NANOSECONDS);
                }
            }
            rowsMeter.increment(batch.getRows());
            batchMeter.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        } catch (RejectedRecord e) {
            deadLetter(record, e.reason(), e.getMessage());
        } catch (Exception e) {
            LOG.warn("encoding failed for a record at {}: {}", where(), e.toString());
            deadLetter(record, DeadLetterReason.PROCESSING_ERROR, e.toString());
        } catch (OutOfMemoryError | StackOverflowError | LinkageError | AssertionError e) {
            // Errors one record can cause and the JVM survives: the record is set aside, the
            // stream goes on. Others (InternalError, a broken VM) still stop the thread.
            LOG.error("encoding failed for a record at {}: {}", where(), e.toString());
            deadLetter(record, DeadLetterReason.PROCESSING_ERROR, e.toString());
        }
    }

    /**
     * The served SAEs bound to the batch's source; each that is not is counted. A record no served
     * SAE is bound to is rejected, naming what is served.
     */
    private List<ServingSae> bound(List<ServingSae> serving, ActivationBatch batch)
            throws RejectedRecord {
        if (serving.isEmpty())
            throw new RejectedRecord(DeadLetterReason.PROCESSING_ERROR, "no SAE is being served");
        List<ServingSae> bound = new ArrayList<>(serving.size());
        for (ServingSae sae : serving) {
            if (sae.source().matches(batch)) {
                bound.add(sae);
            } else {
                stats.passedOver();
                Metrics.counter("aen.encode.mismatched", "sae_id", sae.saeId()).increment();
            }
        }
        if (bound.isEmpty()) {
            StringBuilder served = new StringBuilder();
            for (ServingSae sae : serving)
                served.append(served.length() == 0 ? "" : "; ")
                        .append(sae.saeId())
                        .append(" (")
                        .append(sae.source())
                        .append(')');
            throw new RejectedRecord(
                    DeadLetterReason.NO_MATCHING_SAE,
                    "no served SAE takes records of "
                            + SourceBinding.of(batch)
                            + "; served: "
                            + served);
        }
        return bound;
    }

    /** Codes of {@code rows} rows of {@code x} by {@code sae}; a graph that misfits is rejected. */
    private static SparseCodes encode(ServingSae sae, FloatBuffer x, int rows)
            throws RejectedRecord, ai.onnxruntime.OrtException {
        try {
            return sae.encoder().encode(x.duplicate().rewind(), rows);
        } catch (SaeEncoder.ShapeMismatch e) {
            throw new RejectedRecord(
                    DeadLetterReason.SHAPE_MISMATCH,
                    "SAE " + sae.saeId() + " v" + sae.version() + ": " + e.getMessage());
        }
    }

    private void accumulate(ServingSae sae, FloatBuffer x, SparseCodes codes, long timestamp) {
        long window = monitor.windowMs();
        long start = Math.floorDiv(timestamp, window) * window;
        FeatureAccumulator acc = accumulators.get(sae.saeId());
        if (acc != null
                && (acc.version() != sae.version() || start >= acc.windowStartMs() + window)) {
            flush(acc);
            acc = null;
        }
        if (acc == null) {
            acc = new FeatureAccumulator(sae.saeId(), sae.version(), sae.shard(), sae.d(), start);
            accumulators.put(sae.saeId(), acc);
        }
        acc.add(codes);
        if (sae.decoder() != null)
            acc.addReconstruction(
                    x, codes, sae.decoder(), sae.normalised(), monitor.fveRowStride());
        accumulatorStore.put(
                sae.saeId(), statsSerde.toBytes(acc.toRecord(acc.windowStartMs() + window)));
    }

    /** Forwards the tokens of this batch that may be among their features' top contexts. */
    private void contexts(
            ServingSae sae,
            SparseCodes codes,
            RowOrigins origins,
            ActivationBatch batch,
            long timestamp) {
        if (monitor.topContexts() == 0) return;
        TopContexts top = topContexts.get(sae.saeId());
        if (top == null || top.version() != sae.version()) {
            top =
                    new TopContexts(
                            sae.saeId(),
                            sae.version(),
                            codes.d(),
                            monitor.topContexts(),
                            monitor.contextChars());
            topContexts.put(sae.saeId(), top);
        }
        // Candidates wait in a changelogged store and go out together every few seconds: merging
        // them downstream costs a whole block each time, and the store keeps them exact under
        // exactly-once (a crash restores what was not yet sent).
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
            candidateStore.put(key, contextsSerde.toBytes(c));
        }
    }

    /** Forwards the waiting candidates, one record per block and version, and forgets them. */
    private void flushContexts() {
        Map<String, List<FeatureContexts>> blocks = new HashMap<>();
        List<String> sent = new ArrayList<>();
        try (var all = candidateStore.all()) {
            all.forEachRemaining(
                    kv -> {
                        FeatureContexts part = contextsSerde.fromBytes(kv.value);
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
        for (String key : sent) candidateStore.delete(key);
    }

    private static RowOrigins origins(ActivationBatch batch) throws RejectedRecord {
        try {
            return RowOrigins.of(batch);
        } catch (IllegalArgumentException e) {
            throw new RejectedRecord(
                    DeadLetterReason.MALFORMED_BYTES, "token origins: " + e.getMessage());
        }
    }

    /**
     * Flushes the windows that ended by wall-clock time, so statistics flow while the stream is
     * quiet.
     */
    private void flushDue(long now) {
        for (FeatureAccumulator acc : List.copyOf(accumulators.values())) {
            if (now >= acc.windowStartMs() + monitor.windowMs()) flush(acc);
        }
    }

    private void flush(FeatureAccumulator acc) {
        FeatureStats partial = acc.toRecord(acc.windowStartMs() + monitor.windowMs());
        context.forward(
                new Record<byte[], Object>(
                        acc.saeId().getBytes(StandardCharsets.UTF_8), partial, acc.windowStartMs()),
                EncodeTopology.STATISTICS);
        accumulators.remove(acc.saeId());
        accumulatorStore.delete(acc.saeId());
    }

    private static long activeSum(SparseCodes codes) {
        long sum = 0;
        for (int c : codes.activeCounts()) sum += c;
        return sum;
    }

    /** Validates the batch against the served SAEs and decodes its rows into the reused buffer. */
    private FloatBuffer load(ActivationBatch batch, List<ServingSae> saes) throws RejectedRecord {
        for (ServingSae sae : saes)
            check.width(
                    batch, sae.encoder().n(), () -> "SAE " + sae.saeId() + " v" + sae.version());
        int size = check.shape(batch);
        int n = batch.getN();
        int count = batch.getRows();
        if (rows.capacity() < size) {
            rows =
                    ByteBuffer.allocateDirect(size * 4)
                            .order(ByteOrder.nativeOrder())
                            .asFloatBuffer();
        }
        FloatBuffer x = rows.duplicate().clear().limit(size);
        try {
            Matrices.decode(batch.getPayload(), batch.getDtype(), count, n, x.duplicate());
        } catch (PayloadException e) {
            throw new RejectedRecord(DeadLetterReason.MALFORMED_BYTES, e.getMessage());
        }
        for (int i = 0; i < size; i++) {
            float v = x.get(i);
            if (!Float.isFinite(v)) {
                throw new RejectedRecord(
                        DeadLetterReason.NON_FINITE,
                        v + " at row " + (i / n) + ", column " + (i % n));
            }
        }
        return x;
    }

    private void deadLetter(Record<byte[], byte[]> record, DeadLetterReason reason, String detail) {
        LOG.debug("dead letter {} at {}: {}", reason, where(), detail);
        DeadLetter letter =
                DeadLetters.of(
                        reason,
                        detail,
                        APPLICATION,
                        context.recordMetadata()
                                .map(
                                        m ->
                                                new DeadLetters.Source(
                                                        m.topic(), m.partition(), m.offset()))
                                .orElse(DeadLetters.Source.UNKNOWN),
                        record.key(),
                        record.value(),
                        record.timestamp(),
                        limits.maxRecordBytes());
        context.forward(record.withValue(letter), EncodeTopology.DEAD_LETTERS);
        stats.deadLettered();
    }

    private String where() {
        return context.recordMetadata()
                .map(m -> m.topic() + "-" + m.partition() + "@" + m.offset())
                .orElse("?");
    }
}
