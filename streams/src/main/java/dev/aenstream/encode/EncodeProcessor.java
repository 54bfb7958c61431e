package dev.aenstream.encode;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.runtime.SaeEncoder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encodes each activation record with every SAE the registry serves, as named stages: admission
 * (validate, bind to the SAEs that take its source, load its rows: {@link RecordAdmission}), one
 * ONNX Runtime call per SAE, then per SAE its codes ({@link EncodeTopology#CODES}), statistics
 * ({@link FeatureStatistics}), top-context candidates ({@link ContextCandidates}) and watch facts
 * ({@link WatchCandidates}). A record any stage rejects becomes one dead letter with the reason and
 * its original bytes; every SAE encodes before anything is forwarded, so one input yields all its
 * codes or one dead letter, never both. A failure that is not the record's fault fails the task
 * instead, so the record is tried again ({@link EncodeRetries}); one after the codes went out (in
 * the statistics, say) always does, and under exactly-once the codes of the failed attempt are
 * never committed.
 */
final class EncodeProcessor implements Processor<byte[], byte[], byte[], Object> {
    private static final Logger LOG = LoggerFactory.getLogger(EncodeProcessor.class);
    static final String APPLICATION = "encode";

    /** How often waiting top-context candidates go out: feature pages lag by at most this. */
    static final long CONTEXTS_FLUSH_MS = 5_000;

    private final SaeRegistry registry;
    private final EncodeStats stats;
    private final RecordLimits limits;
    private final RecordAdmission admission;
    private final EncodeRetries retries;

    /** Null when statistics are off, and then so are the two stages after the codes. */
    private final MonitorConfig monitor;

    private FeatureStatistics statistics;
    private ContextCandidates contexts;
    private WatchCandidates watch;
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
    private final Timer statisticsMeter =
            Timer.builder("aen.encode.statistics")
                    .description(
                            "Time to add one record's codes to the statistics (with the fve's"
                                    + " reconstruction) and save them, per SAE")
                    .register(Metrics.globalRegistry);
    private ProcessorContext<byte[], Object> context;
    private final Consumer<ReadPositions.Skipped> skipped;
    private ReadPositions positions;

    EncodeProcessor(
            SaeRegistry registry,
            EncodeStats stats,
            MonitorConfig monitor,
            RecordLimits limits,
            EncodeRetries retries,
            Consumer<ReadPositions.Skipped> skipped) {
        this.skipped = skipped;
        this.registry = registry;
        this.retries = retries;
        this.stats = stats;
        this.monitor = monitor;
        this.limits = limits;
        this.admission = new RecordAdmission(new ActivationCheck(limits.maxRecordValues()), stats);
    }

    @Override
    public void init(ProcessorContext<byte[], Object> context) {
        this.context = context;
        positions = new ReadPositions(context.getStateStore(EncodeTopology.POSITIONS), skipped);
        if (monitor == null) return;
        statistics =
                new FeatureStatistics(
                        monitor, context, context.getStateStore(EncodeTopology.ACCUMULATORS));
        context.schedule(
                Duration.ofMillis(monitor.get(MonitorConfig.WINDOW_MS)),
                PunctuationType.WALL_CLOCK_TIME,
                statistics::flushDue);
        contexts =
                new ContextCandidates(
                        monitor, context, context.getStateStore(EncodeTopology.CONTEXT_CANDIDATES));
        context.schedule(
                Duration.ofMillis(CONTEXTS_FLUSH_MS),
                PunctuationType.WALL_CLOCK_TIME,
                now -> contexts.flush());
        watch = new WatchCandidates(monitor, context, registry.lineages());
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        long start = System.nanoTime();
        context.recordMetadata().ifPresent(positions::read);
        RecordAdmission.Admitted in;
        List<SparseCodes> all;
        List<List<FeatureCodes>> records;
        try {
            in = admission.admit(record.value(), registry.serving());
            all = new ArrayList<>(in.saes().size());
            records = new ArrayList<>(in.saes().size());
            for (ServingSae sae : in.saes()) {
                long ortStart = System.nanoTime();
                SparseCodes codes = sae.global(encode(sae, in.rows(), in.batch().getRows()));
                ortMeter.record(System.nanoTime() - ortStart, TimeUnit.NANOSECONDS);
                all.add(codes);
                records.add(
                        CodesRecords.toRecords(
                                codes,
                                sae.saeId(),
                                sae.version(),
                                in.batch().getProducerId(),
                                in.batch().getSequence(),
                                sae.shard(),
                                in.origins(),
                                limits.maxRecordBytes()));
            }
        } catch (RejectedRecord e) {
            deadLetter(record, e.reason(), e.getMessage());
            return;
        } catch (Exception
                | OutOfMemoryError
                | StackOverflowError
                | LinkageError
                | AssertionError e) {
            // Not the record's fault as far as anyone can tell: fail the task and try it again. A
            // record that fails every attempt is set aside, so the stream goes on. Errors a broken
            // VM throws (InternalError) stop the thread at once.
            if (retries.failed(where()))
                throw new IllegalStateException(
                        "encoding failed for the record at "
                                + where()
                                + "; the task fails and the record will be tried again",
                        e);
            LOG.error(
                    "encoding failed {} times for the record at {}; setting it aside: {}",
                    EncodeRetries.ATTEMPTS,
                    where(),
                    e.toString());
            deadLetter(
                    record,
                    DeadLetterReason.PROCESSING_ERROR,
                    "failed " + EncodeRetries.ATTEMPTS + " times: " + e);
            return;
        }
        retries.succeeded(where());
        // Nothing below depends on the record's content: a failure here fails the task, and the
        // record is encoded again from its committed offset.
        ActivationBatch batch = in.batch();
        for (int i = 0; i < all.size(); i++) {
            ServingSae sae = in.saes().get(i);
            for (FeatureCodes part : records.get(i))
                context.forward(record.withValue(part), EncodeTopology.CODES);
            if (monitor != null) {
                long statisticsStart = System.nanoTime();
                // The broker's append time (the activations topic's timestamps), never a producer's
                // clock: the same for every shard, and one fast producer closes no one's windows.
                statistics.add(sae, in.rows(), all.get(i), record.timestamp());
                contexts.add(sae, all.get(i), in.origins(), batch);
                watch.add(sae, all.get(i), in.origins(), batch, record.timestamp());
                statisticsMeter.record(System.nanoTime() - statisticsStart, TimeUnit.NANOSECONDS);
            }
        }
        // A record encoded again after an aborted transaction was counted the first time.
        if (firstCount()) {
            for (SparseCodes codes : all) stats.encoded(codes.rows(), activeSum(codes));
            rowsMeter.increment(batch.getRows());
        }
        long took = System.nanoTime() - start;
        batchMeter.record(took, TimeUnit.NANOSECONDS);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(took);
        // A poll's records share one transaction: a record taking a quarter of it is a warning.
        if (tookMs > limits.transactionTimeoutMs() / 4)
            LOG.warn(
                    "encoding the record at {} ({} rows) took {} ms, over a quarter of the"
                            + " transaction timeout ({} ms); raise --transaction-timeout-ms or"
                            + " publish fewer rows per record, or the broker aborts transactions"
                            + " and records are encoded again",
                    where(),
                    batch.getRows(),
                    tookMs,
                    limits.transactionTimeoutMs());
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

    private static long activeSum(SparseCodes codes) {
        long sum = 0;
        for (int c : codes.activeCounts()) sum += c;
        return sum;
    }

    private void deadLetter(Record<byte[], byte[]> record, DeadLetterReason reason, String detail) {
        LOG.debug("dead letter {} at {}: {}", reason, where(), detail);
        DeadLetter letter =
                DeadLetters.of(
                        reason,
                        detail,
                        APPLICATION,
                        DeadLetters.Source.of(context),
                        record.key(),
                        record.value(),
                        record.timestamp(),
                        limits.maxRecordBytes());
        context.forward(record.withValue(letter), EncodeTopology.DEAD_LETTERS);
        if (firstCount()) stats.deadLettered();
    }

    /** Whether this application counts the current record now: not if it already did. */
    private boolean firstCount() {
        return context.recordMetadata()
                .map(m -> stats.firstCount(m.partition(), m.offset()))
                .orElse(true);
    }

    private String where() {
        return context.recordMetadata()
                .map(m -> m.topic() + "-" + m.partition() + "@" + m.offset())
                .orElse("?");
    }
}
