package dev.aenstream.online;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.RowIds;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.Severity;
import dev.aenstream.avro.SourceBinding;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.encode.DeadLetters;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.monitor.AlertPublisher;
import dev.aenstream.sae.Arch;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.eval.FeatureMatch;
import dev.aenstream.sae.eval.SampleGeometry;
import dev.aenstream.sae.importers.SaeSources;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.train.Checkpoints;
import dev.aenstream.sae.train.SparsityTarget;
import dev.aenstream.sae.train.StepResult;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.Trainer;
import dev.aenstream.sae.train.TrainingMetrics;
import dev.aenstream.topics.Partitions;
import dev.aenstream.topics.Producers;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns SAEs from the activations topic: one consumer, fixed-size batches assembled from records
 * of any size, one training step per batch for each SAE side by side. Every few steps it publishes
 * a version of each SAE to the models topic, figures to the trainer-metrics topic and starvation
 * alerts; its checkpoints hold the consumer positions and the rows read but not yet trained on, so
 * a resumed run trains on every row exactly once.
 */
public final class OnlineTrainer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OnlineTrainer.class);

    private final OnlineTrainerConfig config;
    private final List<Trainer> trainers;
    private final Map<String, StarvationWatch> watches = new HashMap<>();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions;

    /** How long the lag figure may wait for the broker before the last one stands. */
    private static final Duration LAG_TIMEOUT = Duration.ofSeconds(5);

    /** How often the trainer looks for partitions added to the activations topic. */
    static final long PARTITION_CHECK_MS = 10_000;

    /**
     * Appended to the group id to name the transactions versions are published in: a second trainer
     * of the same group fences the first.
     */
    public static final String TRANSACTIONAL_SUFFIX = "-models";

    /** The application named in the dead letters the trainer sends. */
    static final String APPLICATION = "train";

    private final Map<TopicPartition, Long> positions = new HashMap<>();
    private final ModelPublisher models;
    private final AlertPublisher alerts;
    private final KafkaProducer<byte[], byte[]> metricsProducer;
    private final AvroSerde<ActivationBatch> activations = new AvroSerde<>(ActivationBatch.class);
    private final AvroSerde<TrainerMetrics> metricsSerde = new AvroSerde<>(TrainerMetrics.class);
    private final BatchAssembler assembler;
    private final int n;
    private final int batch;
    private long batchesTaken;
    private long rowsRead;
    private long skippedRecords;

    /**
     * Decoders of the versions published last, per SAE id, to match the next one to; kept up to
     * {@link #LINEAGE_MAX_VALUES} values (larger dictionaries publish no lineage).
     */
    private final Map<String, PublishedAtoms> publishedAtoms = new HashMap<>();

    /** n x D of the largest decoder kept for lineage: 128 MiB of float32. */
    static final long LINEAGE_MAX_VALUES = 1L << 25;

    private record PublishedAtoms(long version, int d, float[] wDec) {}

    /** Records of another source than the SAEs are bound to: counted, never trained on. */
    private long recordsMismatched;

    /** The records the SAEs take: the configured binding, its open sides filled by the first. */
    private volatile SourceBinding source;

    private long rowsDeadLettered;
    private long rowChecksum;
    private long recordsLostToRetention;
    private long publishFailures;
    private long checkpointFailures;
    private boolean fenced;
    private final AvroSerde<DeadLetter> deadLetters = new AvroSerde<>(DeadLetter.class);

    /** The newest version on the models topic per SAE id when the trainer opened. */
    private final Map<String, SaeModel> newestOnTopic;

    private volatile List<TrainingMetrics> latest = List.of();
    private final Map<String, Long> published = new HashMap<>();
    private final Map<String, SampleGeometry.Figures> geometry = new HashMap<>();

    /** Metrics records between two measurements of the dictionary's coherence. */
    static final long COHERENCE_EVERY = 10;

    private long lagAtBatch = -1;
    private final java.util.concurrent.atomic.AtomicLong consumerLag =
            io.micrometer.core.instrument.Metrics.gauge(
                    "aen.trainer.consumer.lag", new java.util.concurrent.atomic.AtomicLong());

    private OnlineTrainer(
            KafkaConnection connection,
            OnlineTrainerConfig config,
            List<Trainer> trainers,
            TrainerManifest manifest,
            Map<String, SaeModel> newestOnTopic)
            throws IOException {
        this.config = config;
        this.source = config.source();
        this.newestOnTopic = newestOnTopic;
        this.trainers = trainers;
        TrainConfig first = trainers.get(0).config();
        this.n = first.n();
        this.batch = first.batch();
        for (Trainer t : trainers) {
            if (t.config().n() != n || t.config().batch() != batch) {
                throw new IllegalArgumentException(
                        "SAEs trained side by side need the same n and batch; "
                                + t.saeId()
                                + " has n="
                                + t.config().n()
                                + ", batch="
                                + t.config().batch()
                                + " vs n="
                                + n
                                + ", batch="
                                + batch);
            }
            watches.put(t.saeId(), new StarvationWatch(t.saeId(), config.modelAlerts()));
            if (config.matchesSparsity() && t.config().arch() != Arch.TOPK)
                t.target(SparsityTarget.tracking(config.targetL0(), config.settleSteps()));
        }
        this.assembler = new BatchAssembler(n, batch, config.shuffleRows(), first.seed());
        Properties props = connection.client();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 16);
        // Never jump silently: an offset retention has removed is found, counted and alerted.
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        this.consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        // One trainer owns every partition: checkpointed positions, not group rebalancing, decide
        // where it reads.
        this.partitions =
                new ArrayList<>(Partitions.assignAll(consumer, config.topics().activations()));
        if (manifest != null) {
            for (TopicPartition tp : partitions) {
                Long at = manifest.positions().get(tp.toString());
                if (at != null) {
                    consumer.seek(tp, at);
                    positions.put(tp, at);
                } else {
                    consumer.seekToBeginning(List.of(tp));
                }
            }
            assembler.restore(manifest.pending(config.checkpointDir()));
            batchesTaken = manifest.batchesTaken();
            rowsRead = manifest.rowsRead();
            rowsDeadLettered = manifest.rowsDeadLettered();
            rowChecksum = manifest.rowChecksum();
        } else {
            consumer.seekToBeginning(partitions);
        }
        this.models =
                new ModelPublisher(
                        connection,
                        config.topics().models(),
                        config.signingKeys(),
                        config.groupId() + TRANSACTIONAL_SUFFIX);
        // Versions published before a restart: the first new one retires their chunks.
        for (Trainer t : trainers)
            if (newestOnTopic.containsKey(t.saeId()))
                models.replacing(newestOnTopic.get(t.saeId()));
        this.alerts = new AlertPublisher(connection, config.topics().alerts());
        this.metricsProducer = Producers.idempotent(connection, "aen-trainer-metrics");
    }

    /**
     * Opens the trainer. With {@code resume}, each SAE continues from the trainer's last checkpoint
     * (its own configuration wins); SAEs the checkpoint does not know start fresh.
     */
    public static OnlineTrainer open(
            KafkaConnection connection,
            OnlineTrainerConfig config,
            List<SaeDefinition> saes,
            boolean resume,
            Device device,
            int threads)
            throws Exception {
        if (saes.isEmpty()) throw new IllegalArgumentException("no SAE to train");
        TrainerManifest manifest = null;
        if (resume) {
            if (config.checkpointDir() == null)
                throw new IllegalArgumentException("resuming needs a checkpoint directory");
            manifest = TrainerManifest.read(config.checkpointDir());
            if (manifest == null)
                LOG.info("no trainer checkpoint in {}: starting fresh", config.checkpointDir());
        }
        List<Trainer> trainers = new ArrayList<>();
        try {
            for (SaeDefinition sae : saes) {
                String file = manifest == null ? null : manifest.saes().get(sae.saeId());
                if (file != null) {
                    Checkpoints.Checkpoint cp =
                            Checkpoints.load(config.checkpointDir().resolve(file));
                    trainers.add(Trainer.resume(sae.saeId(), cp, device, threads));
                    LOG.info(
                            "SAE {} resumes at step {} ({} tokens)",
                            sae.saeId(),
                            cp.state().step(),
                            cp.tokens());
                } else {
                    if (manifest != null)
                        LOG.warn("SAE {} is not in the checkpoint: it starts fresh", sae.saeId());
                    trainers.add(Trainer.start(sae.saeId(), sae.config(), device, threads));
                }
            }
            return new OnlineTrainer(
                    connection,
                    config,
                    trainers,
                    manifest,
                    ModelRecords.newestVersions(connection, config.topics().models()));
        } catch (Exception e) {
            for (Trainer t : trainers) t.close();
            throw e;
        }
    }

    /** Figures of every SAE after its latest step. */
    public List<TrainingMetrics> metrics() {
        return latest;
    }

    /** The current configuration of one SAE (matched sparsity moves its lambda1). */
    public TrainConfig config(String saeId) {
        for (Trainer t : trainers) if (t.saeId().equals(saeId)) return t.config();
        throw new IllegalArgumentException("no SAE " + saeId);
    }

    /** The latest version published per SAE id. */
    public synchronized Map<String, Long> publishedVersions() {
        return Map.copyOf(published);
    }

    public long rowsRead() {
        return rowsRead;
    }

    /** Records passed over because they came from another model or hook than the SAEs take. */
    public long recordsMismatched() {
        return recordsMismatched;
    }

    /** The model and hook the SAEs learn from; open sides until the first record came. */
    public SourceBinding source() {
        return source;
    }

    public long batchesTaken() {
        return batchesTaken;
    }

    public long skippedRecords() {
        return skippedRecords;
    }

    /** Rows set aside (NaN or Inf) and sent to the dead letters instead of trained on. */
    public long rowsDeadLettered() {
        return rowsDeadLettered;
    }

    /**
     * Sum of {@link RowIds#hash} over every row read and kept, across restarts: equal to the
     * producers' sum when each row was read exactly once.
     */
    public long rowChecksum() {
        return rowChecksum;
    }

    /** Activation records retention removed before the trainer read them. */
    public long recordsLostToRetention() {
        return recordsLostToRetention;
    }

    /** Publications that failed (the broker away) and were tried again later. */
    public long publishFailures() {
        return publishFailures;
    }

    /** Checkpoints that could not be written (a full disk); the previous one stayed. */
    public long checkpointFailures() {
        return checkpointFailures;
    }

    /**
     * Trains until {@code stop} says so or, when configured, the topic stays idle; ends with a
     * checkpoint.
     */
    public void run(BooleanSupplier stop) throws Exception {
        try {
            train(stop);
        } catch (ModelPublisher.Fenced e) {
            // Another trainer of this group took over: its checkpoints are the ones that count.
            fenced = true;
            LOG.error("stopping without a checkpoint: {}", e.getMessage());
            throw e;
        } finally {
            // Whatever else ends the run, it ends with a checkpoint.
            if (config.checkpointDir() != null && !fenced) checkpoint();
        }
    }

    private void train(BooleanSupplier stop) throws Exception {
        for (Trainer t : trainers) publish(t);
        float[] rows = new float[0];
        float[] batchRows = new float[batch * n];
        long lastRecord = System.currentTimeMillis();
        long partitionsCheckedAt = System.currentTimeMillis();
        while (!stop.getAsBoolean()) {
            if (System.currentTimeMillis() - partitionsCheckedAt > PARTITION_CHECK_MS) {
                joinNewPartitions();
                partitionsCheckedAt = System.currentTimeMillis();
            }
            org.apache.kafka.clients.consumer.ConsumerRecords<byte[], byte[]> records;
            try {
                records = consumer.poll(Duration.ofMillis(200));
            } catch (OffsetOutOfRangeException e) {
                skipRetentionGap(e.offsetOutOfRangePartitions());
                continue;
            }
            if (records.isEmpty()) {
                if (config.idleExitMs() > 0
                        && System.currentTimeMillis() - lastRecord > config.idleExitMs()) {
                    LOG.info("no new activations for {} ms: stopping", config.idleExitMs());
                    break;
                }
                continue;
            }
            lastRecord = System.currentTimeMillis();
            for (ConsumerRecord<byte[], byte[]> record : records) {
                ActivationBatch a = decode(record);
                if (a != null && !takes(a)) {
                    recordsMismatched++;
                    a = null;
                }
                if (a != null) {
                    int count = a.getRows();
                    if (rows.length < count * n) rows = new float[count * n];
                    Matrices.decode(a.getPayload(), a.getDtype(), count, n, FloatBuffer.wrap(rows));
                    if (config.normalise() && a.getNormalisation() == Normalisation.NONE)
                        Matrices.normaliseRows(rows, 0, count, n);
                    int kept = keepFinite(rows, a, record);
                    assembler.add(rows, 0, kept);
                    rowsRead += count;
                }
                positions.put(
                        new TopicPartition(record.topic(), record.partition()),
                        record.offset() + 1);
                while (assembler.ready()) {
                    assembler.take(batchRows);
                    batchesTaken++;
                    step(batchRows);
                    if (config.checkpointDir() != null
                            && batchesTaken % config.checkpointEvery() == 0) tryCheckpoint();
                }
            }
        }
    }

    /**
     * Whether the SAEs take this record: one source model and hook point, the configured one or,
     * where it is open, the first record's. An SAE trained on two hooks would learn neither.
     */
    private boolean takes(ActivationBatch a) {
        SourceBinding bound = source;
        if (bound.sourceModel() == null || bound.hookPoint() == null) {
            if (!bound.matches(a)) return false;
            source =
                    new SourceBinding(
                            bound.sourceModel() == null ? a.getSourceModel() : bound.sourceModel(),
                            bound.hookPoint() == null ? a.getHookPoint() : bound.hookPoint());
            LOG.info(
                    "the SAEs learn from records of {}{}",
                    source,
                    config.source().isAny()
                            ? " (the first record's; --source-model and --hook-point choose)"
                            : "");
            return true;
        }
        if (bound.matches(a)) return true;
        if (recordsMismatched == 0)
            LOG.warn(
                    "passing over records of {}: the SAEs here learn from {} (counted in"
                            + " recordsMismatched)",
                    SourceBinding.of(a),
                    bound);
        return false;
    }

    /**
     * Moves the finite rows of {@code rows} to the front and returns how many; the others go to the
     * dead letters with their row numbers, so one bad row costs that row, not its batch.
     */
    private int keepFinite(float[] rows, ActivationBatch a, ConsumerRecord<byte[], byte[]> record) {
        int count = a.getRows();
        List<Integer> bad = new ArrayList<>();
        int kept = 0;
        for (int r = 0; r < count; r++) {
            boolean finite = true;
            for (int j = r * n; j < (r + 1) * n && finite; j++) finite = Float.isFinite(rows[j]);
            if (!finite) {
                bad.add(r);
                continue;
            }
            if (kept != r) System.arraycopy(rows, r * n, rows, kept * n, n);
            kept++;
            rowChecksum += RowIds.hash(a.getProducerId(), a.getSequence(), r);
        }
        if (!bad.isEmpty()) {
            rowsDeadLettered += bad.size();
            DeadLetter letter =
                    DeadLetters.of(
                            DeadLetterReason.NON_FINITE,
                            "rows "
                                    + bad
                                    + " of "
                                    + count
                                    + " hold NaN or Inf"
                                    + (config.normalise() ? " (after normalisation)" : "")
                                    + "; the trainer trained on the other "
                                    + kept,
                            APPLICATION,
                            new DeadLetters.Source(
                                    record.topic(), record.partition(), record.offset()),
                            record.key(),
                            record.value(),
                            record.timestamp(),
                            Topics.MAX_MESSAGE_BYTES);
            send(
                    new ProducerRecord<>(
                            config.topics().dlq(), record.key(), deadLetters.toBytes(letter)),
                    "a dead letter");
        }
        return kept;
    }

    /**
     * Retention removed records the trainer had not read: counts them, raises {@code
     * ROWS_LOST_TO_RETENTION} and goes on from the oldest record still there.
     */
    private void skipRetentionGap(Map<TopicPartition, Long> gone) {
        Map<TopicPartition, Long> start = consumer.beginningOffsets(gone.keySet());
        for (TopicPartition tp : gone.keySet()) {
            long from = gone.get(tp);
            long to = start.get(tp);
            long lost = Math.max(0, to - from);
            recordsLostToRetention += lost;
            consumer.seek(tp, to);
            positions.put(tp, to);
            String message =
                    lost
                            + " activation records of "
                            + tp
                            + " (offsets "
                            + from
                            + " to "
                            + (to - 1)
                            + ") were removed by retention before the trainer read them;"
                            + " it goes on from offset "
                            + to;
            LOG.warn(message);
            for (Trainer t : trainers)
                alerts.send(
                        AlertType.ROWS_LOST_TO_RETENTION,
                        Severity.WARNING,
                        t.saeId(),
                        published.getOrDefault(t.saeId(), 0L),
                        List.of(),
                        lost,
                        0,
                        message);
        }
    }

    /**
     * Partitions added to the activations topic since the trainer opened, read from their start.
     */
    private void joinNewPartitions() {
        List<TopicPartition> now;
        try {
            // listTopics asks the broker; partitionsFor would answer from a cache minutes old.
            var info =
                    consumer.listTopics(Duration.ofSeconds(5)).get(config.topics().activations());
            if (info == null) return;
            now = info.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        } catch (org.apache.kafka.common.KafkaException e) {
            return; // the broker is away: the next check will do
        }
        List<TopicPartition> added = now.stream().filter(tp -> !partitions.contains(tp)).toList();
        if (added.isEmpty()) return;
        partitions.addAll(added);
        consumer.assign(partitions);
        consumer.seekToBeginning(added);
        LOG.info("reading partitions added to the activations topic: {}", added);
    }

    private ActivationBatch decode(ConsumerRecord<byte[], byte[]> record) {
        try {
            ActivationBatch a = activations.fromBytes(record.value());
            if (a.getN() != n)
                throw new IllegalArgumentException("rows have n=" + a.getN() + ", the SAEs n=" + n);
            if (a.getRows() <= 0) throw new IllegalArgumentException("no rows");
            long expected = (long) a.getRows() * n * Matrices.bytesPerElement(a.getDtype());
            if (a.getPayload().remaining() != expected)
                throw new IllegalArgumentException("payload does not match its shape");
            return a;
        } catch (RuntimeException e) {
            // The encoders send such records to the dead letters; the trainer only has to stay off
            // them.
            skippedRecords++;
            if (Long.bitCount(skippedRecords) == 1) {
                LOG.warn(
                        "skipped {} unusable activation record(s) so far; latest at {}-{}@{}: {}",
                        skippedRecords,
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        e.getMessage());
            }
            return null;
        }
    }

    private void step(float[] batchRows) throws Exception {
        List<TrainingMetrics> figures = new ArrayList<>(trainers.size());
        for (Trainer t : trainers) {
            StepResult r = t.step(batchRows, 0, batch);
            if (!r.applied())
                LOG.warn(
                        "SAE {} skipped step {}: non-finite loss or gradient", t.saeId(), r.step());
            long done = t.stepsDone();
            if (r.applied() && done % config.publishEvery() == 0) publish(t);
            TrainingMetrics m = t.metrics();
            figures.add(m);
            if (r.applied() && done % config.metricsEvery() == 0) {
                SampleGeometry.Figures g = measure(t, batchRows, done);
                sendMetrics(t, m, g);
                watches.get(t.saeId())
                        .check(
                                t.window(),
                                m.weightSaturation(),
                                version(t),
                                alerts,
                                g.active().crossLeverage());
            }
        }
        latest = List.copyOf(figures);
    }

    /**
     * The paper's measurements on a sample of this batch; coherence (D^2 n work) only every {@link
     * #COHERENCE_EVERY} metrics records, the last value standing in between.
     */
    private SampleGeometry.Figures measure(Trainer t, float[] batchRows, long done) {
        TrainConfig c = t.config();
        SampleGeometry.Figures g =
                SampleGeometry.measure(
                        t.trainStep().parameters(),
                        batchRows,
                        batch,
                        c.arch() == Arch.TOPK ? c.k() : 0,
                        done % (COHERENCE_EVERY * config.metricsEvery()) == config.metricsEvery());
        SampleGeometry.Figures before = geometry.get(t.saeId());
        if (g.coherence() == null && before != null)
            g = new SampleGeometry.Figures(g.shrinkage(), before.coherence(), g.active());
        synchronized (this) {
            geometry.put(t.saeId(), g);
        }
        return g;
    }

    /** The latest measurements per SAE id (shrinkage, coherence, active-set geometry). */
    public synchronized Map<String, SampleGeometry.Figures> geometry() {
        return Map.copyOf(geometry);
    }

    /** The version the SAE's figures and alerts belong to: the newest it published. */
    private synchronized long version(Trainer t) {
        return published.getOrDefault(t.saeId(), 0L);
    }

    /**
     * The next version of {@code t}: one per {@code publishEvery} steps, and always past every
     * version already on the models topic, so a resumed trainer never reuses a number.
     */
    private synchronized long nextVersion(Trainer t) {
        long floor =
                Math.max(
                        newestOnTopic.containsKey(t.saeId())
                                ? newestOnTopic.get(t.saeId()).getVersion()
                                : 0L,
                        published.getOrDefault(t.saeId(), 0L));
        return Math.max(1 + t.stepsDone() / config.publishEvery(), floor + 1);
    }

    /** Publishes a version of {@code t}; when the broker is away, says so and goes on training. */
    private void publish(Trainer t) throws Exception {
        try {
            publishVersion(t);
        } catch (java.util.concurrent.ExecutionException
                | org.apache.kafka.common.KafkaException e) {
            publishFailures++;
            LOG.warn(
                    "could not publish SAE {} at step {} ({}); training goes on and publishes at"
                            + " the next interval",
                    t.saeId(),
                    t.stepsDone(),
                    e.getCause() == null ? e.toString() : e.getCause().toString());
        }
    }

    private void publishVersion(Trainer t) throws Exception {
        long v = nextVersion(t);
        TrainConfig c = t.config();
        int kMax = c.arch() == Arch.TOPK ? c.k() : Math.min(config.kMax(), c.d());
        SaeParameters params = t.trainStep().parameters();
        var onnx =
                SaeSources.fromParameters(
                                params,
                                new EncoderSpec(
                                        kMax,
                                        config.normalise(),
                                        c.arch() == Arch.TOPK,
                                        config.weights()),
                                t.saeId() + " step " + t.stepsDone())
                        .model();
        Map<String, String> hyper = new LinkedHashMap<>();
        hyper.put("lambda1", Double.toString(c.lambda1()));
        hyper.put("lambda2", Double.toString(c.effectiveLambda2()));
        hyper.put("gamma", Double.toString(c.gamma()));
        hyper.put("step", Long.toString(t.stepsDone()));
        models.publish(
                new ModelPublisher.Version(
                        t.saeId(),
                        v,
                        c.arch().label(),
                        c.n(),
                        c.d(),
                        kMax,
                        config.normalise() ? Normalisation.UNIT_SQRT_N : Normalisation.NONE,
                        hyper,
                        source,
                        lineage(t.saeId(), params)),
                onnx);
        synchronized (this) {
            published.put(t.saeId(), v);
        }
        if ((long) params.n() * params.d() <= LINEAGE_MAX_VALUES)
            publishedAtoms.put(t.saeId(), new PublishedAtoms(v, params.d(), params.wDec()));
        LOG.info("published SAE {} v{} at step {}", t.saeId(), v, t.stepsDone());
    }

    /**
     * Which feature of the version published before each feature of {@code params} continues, or
     * null for the first version this trainer publishes (ids carry over as they are).
     */
    private ModelPublisher.FeatureLineage lineage(String saeId, SaeParameters params) {
        PublishedAtoms before = publishedAtoms.get(saeId);
        if (before == null || (long) params.n() * params.d() > LINEAGE_MAX_VALUES) return null;
        FeatureMatch m =
                FeatureMatch.of(
                        before.wDec(),
                        before.d(),
                        params.wDec(),
                        params.d(),
                        params.n(),
                        FeatureMatch.DEFAULT_MIN_COS);
        return new ModelPublisher.FeatureLineage(before.version(), m.previous(), m.cos());
    }

    /**
     * Records the consumer is behind the topic's end; asked of the broker once per batch, however
     * many SAEs report.
     */
    private long consumerLag() {
        if (lagAtBatch != batchesTaken) {
            long lag = 0;
            try {
                for (Map.Entry<TopicPartition, Long> e :
                        consumer.endOffsets(partitions, LAG_TIMEOUT).entrySet()) {
                    lag += Math.max(0, e.getValue() - positions.getOrDefault(e.getKey(), 0L));
                }
                consumerLag.set(lag);
            } catch (org.apache.kafka.common.KafkaException e) {
                // The broker is away: the last figure stands.
            }
            lagAtBatch = batchesTaken;
        }
        return consumerLag.get();
    }

    private void sendMetrics(Trainer t, TrainingMetrics m, SampleGeometry.Figures g) {
        long lag = consumerLag();
        TrainerMetrics record =
                TrainerMetrics.newBuilder()
                        .setSaeId(t.saeId())
                        .setArch(m.arch())
                        .setVersion(version(t))
                        .setStep(m.step())
                        .setTokens(m.tokens())
                        .setMse(m.mse())
                        .setL1(m.l1())
                        .setL2(m.l2())
                        .setLoss(m.loss())
                        .setL0(m.l0())
                        .setFve(m.fve())
                        .setDeadPct(m.deadPct())
                        .setWeightSaturation(m.weightSaturation())
                        .setWarmupFactor(m.warmupFactor())
                        .setTokensPerS(m.tokensPerS())
                        .setConsumerLag(lag)
                        .setTimestampMs(System.currentTimeMillis())
                        .setLambda1(t.config().arch() == Arch.TOPK ? null : t.config().lambda1())
                        .setShrinkage(finite(g.shrinkage()))
                        .setRecoveryRate(finite(t.window().recoveryRate()))
                        .setCoherenceMean(g.coherence() == null ? null : g.coherence().mean())
                        .setCoherenceMax(g.coherence() == null ? null : g.coherence().max())
                        .setActiveCondition(finite(g.active().condition()))
                        .setLeakage(finite(g.active().leakage()))
                        .setDeadCrossLeverage(
                                finite(g.active().meanCrossLeverage(t.window().deadFeatures())))
                        .build();
        send(
                new ProducerRecord<>(
                        config.topics().trainerMetrics(),
                        t.saeId().getBytes(StandardCharsets.UTF_8),
                        metricsSerde.toBytes(record)),
                "trainer metrics");
    }

    /** Sends {@code record}; a broker that is away costs the record a log line, not the run. */
    private void send(ProducerRecord<byte[], byte[]> record, String what) {
        try {
            metricsProducer.send(
                    record,
                    (m, e) -> {
                        if (e != null) LOG.warn("could not send {}: {}", what, e.toString());
                    });
        } catch (org.apache.kafka.common.KafkaException e) {
            LOG.warn("could not send {}: {}", what, e.toString());
        }
    }

    /** Avro holds NaN, but JSON readers of the topic do not: an undefined figure is null. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /**
     * A periodic checkpoint: one that cannot be written (a full disk) is reported, the previous one
     * stays intact (checkpoints are written aside and renamed), and training goes on to try again
     * at the next interval.
     */
    private void tryCheckpoint() {
        try {
            checkpoint();
        } catch (IOException | java.io.UncheckedIOException e) {
            checkpointFailures++;
            LOG.error(
                    "could not write the checkpoint at batch {} ({}); the previous checkpoint"
                            + " stays and training goes on, trying again at the next one, every {}"
                            + " batches",
                    batchesTaken,
                    e.toString(),
                    config.checkpointEvery());
        }
    }

    /**
     * Writes every SAE's checkpoint, the pending rows, then the manifest that ties them to the
     * consumer positions.
     */
    private void checkpoint() throws IOException {
        Path dir = config.checkpointDir();
        Files.createDirectories(dir);
        Map<String, String> files = new LinkedHashMap<>();
        for (Trainer t : trainers)
            files.put(t.saeId(), dir.relativize(t.checkpoint(dir, Map.of())).toString());
        String pendingFile =
                TrainerManifest.writePending(dir, batchesTaken, assembler.pending(), n);
        Map<String, Long> at = new LinkedHashMap<>();
        positions.forEach((tp, offset) -> at.put(tp.toString(), offset));
        new TrainerManifest(
                        at,
                        pendingFile,
                        assembler.pendingRows(),
                        batchesTaken,
                        files,
                        rowsRead,
                        rowsDeadLettered,
                        rowChecksum)
                .write(dir);
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        positions.forEach((tp, offset) -> commit.put(tp, new OffsetAndMetadata(offset)));
        // Committed offsets only show the group's lag to Kafka tools; the manifest is what a resume
        // uses.
        consumer.commitAsync(commit, null);
    }

    @Override
    public void close() throws Exception {
        consumer.close();
        models.close();
        alerts.close();
        metricsProducer.close();
        for (Trainer t : trainers) t.close();
    }
}
