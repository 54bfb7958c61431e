package dev.aenstream.online;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.monitor.AlertPublisher;
import dev.aenstream.sae.Arch;
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
            TrainerManifest manifest)
            throws IOException {
        this.config = config;
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
        this.consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        // One trainer owns every partition: checkpointed positions, not group rebalancing, decide
        // where it reads.
        this.partitions = Partitions.assignAll(consumer, config.topics().activations());
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
        } else {
            consumer.seekToBeginning(partitions);
        }
        this.models =
                new ModelPublisher(connection, config.topics().models(), config.signingKeys());
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
            return new OnlineTrainer(connection, config, trainers, manifest);
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

    public long batchesTaken() {
        return batchesTaken;
    }

    public long skippedRecords() {
        return skippedRecords;
    }

    /**
     * Trains until {@code stop} says so or, when configured, the topic stays idle; ends with a
     * checkpoint.
     */
    public void run(BooleanSupplier stop) throws Exception {
        for (Trainer t : trainers) publish(t);
        float[] rows = new float[0];
        float[] batchRows = new float[batch * n];
        long lastRecord = System.currentTimeMillis();
        while (!stop.getAsBoolean()) {
            var records = consumer.poll(Duration.ofMillis(200));
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
                if (a != null) {
                    int count = a.getRows();
                    if (rows.length < count * n) rows = new float[count * n];
                    Matrices.decode(a.getPayload(), a.getDtype(), count, n, FloatBuffer.wrap(rows));
                    if (config.normalise() && a.getNormalisation() == Normalisation.NONE)
                        Matrices.normaliseRows(rows, 0, count, n);
                    assembler.add(rows, 0, count);
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
                            && batchesTaken % config.checkpointEvery() == 0) checkpoint();
                }
            }
        }
        if (config.checkpointDir() != null) checkpoint();
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

    private long version(Trainer t) {
        return 1 + t.stepsDone() / config.publishEvery();
    }

    private void publish(Trainer t) throws Exception {
        long v = version(t);
        TrainConfig c = t.config();
        int kMax = c.arch() == Arch.TOPK ? c.k() : Math.min(config.kMax(), c.d());
        byte[] onnx =
                SaeSources.fromParameters(
                                t.trainStep().parameters(),
                                new EncoderSpec(kMax, config.normalise(), c.arch() == Arch.TOPK),
                                t.saeId() + " step " + t.stepsDone())
                        .onnx();
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
                        hyper),
                onnx);
        synchronized (this) {
            published.put(t.saeId(), v);
        }
        LOG.info("published SAE {} v{} at step {}", t.saeId(), v, t.stepsDone());
    }

    /**
     * Records the consumer is behind the topic's end; asked of the broker once per batch, however
     * many SAEs report.
     */
    private long consumerLag() {
        if (lagAtBatch != batchesTaken) {
            long lag = 0;
            for (Map.Entry<TopicPartition, Long> e : consumer.endOffsets(partitions).entrySet()) {
                lag += Math.max(0, e.getValue() - positions.getOrDefault(e.getKey(), 0L));
            }
            consumerLag.set(lag);
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
        metricsProducer.send(
                new ProducerRecord<>(
                        config.topics().trainerMetrics(),
                        t.saeId().getBytes(StandardCharsets.UTF_8),
                        metricsSerde.toBytes(record)));
    }

    /** Avro holds NaN, but JSON readers of the topic do not: an undefined figure is null. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
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
        new TrainerManifest(at, pendingFile, assembler.pendingRows(), batchesTaken, files)
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
