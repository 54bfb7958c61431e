package dev.aenstream.online;

import dev.aenstream.avro.RetentionGap;
import dev.aenstream.avro.SourceBinding;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.sae.eval.SampleGeometry;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.train.SparsityTarget;
import dev.aenstream.sae.train.StepResult;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.Trainer;
import dev.aenstream.sae.train.TrainingMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The online trainer's loop, knowing no Kafka: records in through an {@link ActivationSource},
 * fixed-size batches assembled from them, one step per batch for each SAE side by side, and out
 * through its ports every few steps: versions ({@link VersionSink}), figures with the facts the
 * monitor raises alerts from ({@link TrainerOutputs}; the loop raises none), and checkpoints that
 * tie the source's positions to the rows read but not yet trained on, so that a resumed run trains
 * on every row exactly once.
 */
public final class TrainingLoop {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);

    /** How long one poll of the source waits before the loop looks at its stop condition. */
    static final Duration POLL = Duration.ofMillis(200);

    /** Metrics records between two measurements of the dictionary's coherence. */
    static final long COHERENCE_EVERY = 10;

    private final OnlineTrainerConfig config;
    private final List<Trainer> trainers;
    private final ActivationSource source;
    private final TrainerOutputs outputs;
    private final ActivationIntake intake;
    private final VersionPublication versions;
    private final BatchAssembler assembler;

    /** Retention gaps not yet reported, per SAE id: each goes out in one record of each SAE. */
    private final Map<String, List<RetentionGap>> unreportedGaps = new HashMap<>();

    /** Ranges jumped over for lag not yet reported, per SAE id, as the retention gaps are. */
    private final Map<String, List<RetentionGap>> unreportedSkips = new HashMap<>();

    private final Map<String, Long> positions = new LinkedHashMap<>();
    private final Map<String, SampleGeometry.Figures> geometry = new HashMap<>();
    private final int n;
    private final int batch;
    private long batchesTaken;
    private final StreamLag lag;
    private long recordsLostToRetention;
    private long recordsSkippedForLag;
    private long checkpointFailures;
    private StreamLag.Figures lagFigures = new StreamLag.Figures(0, null, null);
    private long lagAtBatch = -1;
    private volatile List<TrainingMetrics> latest = List.of();

    /**
     * @param manifest the checkpoint the run continues from (positions, pending rows, counts), or
     *     null for a fresh start
     * @param newestOnTopic the newest version already published per SAE id: numbers go on past it
     */
    public TrainingLoop(
            OnlineTrainerConfig config,
            List<Trainer> trainers,
            ActivationSource source,
            VersionSink sink,
            TrainerOutputs outputs,
            TrainerManifest manifest,
            Map<String, Long> newestOnTopic)
            throws IOException {
        if (trainers.isEmpty()) throw new IllegalArgumentException("no SAE to train");
        this.config = config;
        this.trainers = List.copyOf(trainers);
        this.source = source;
        this.outputs = outputs;
        TrainConfig first = trainers.get(0).config();
        this.n = first.n();
        this.batch = first.get(TrainConfig.BATCH);
        for (Trainer t : trainers) {
            if (t.config().n() != n || t.config().get(TrainConfig.BATCH) != batch) {
                throw new IllegalArgumentException(
                        "SAEs trained side by side need the same n and batch; "
                                + t.saeId()
                                + " has n="
                                + t.config().n()
                                + ", batch="
                                + t.config().get(TrainConfig.BATCH)
                                + " vs n="
                                + n
                                + ", batch="
                                + batch);
            }
            unreportedGaps.put(t.saeId(), new ArrayList<>());
            unreportedSkips.put(t.saeId(), new ArrayList<>());
            if (config.matchesSparsity() && t.config().has(Penalised.LAMBDA1))
                t.target(
                        SparsityTarget.afterWarmUp(
                                config.get(OnlineTrainerConfig.TARGET_L0),
                                config.get(OnlineTrainerConfig.SETTLE_STEPS),
                                t.config()));
        }
        this.intake =
                new ActivationIntake(
                        n, config.get(OnlineTrainerConfig.NORMALISE), config.source(), outputs);
        this.versions = new VersionPublication(sink, config, newestOnTopic);
        this.lag = new StreamLag(source, config);
        this.assembler =
                new BatchAssembler(
                        n,
                        batch,
                        config.get(OnlineTrainerConfig.SHUFFLE_ROWS),
                        first.get(TrainConfig.SEED));
        if (manifest != null) {
            positions.putAll(manifest.positions());
            assembler.restore(manifest.pending(config.checkpointDir()));
            batchesTaken = manifest.batchesTaken();
            intake.restore(manifest);
        }
    }

    /**
     * Trains until {@code stop} says so or, when configured, the source stays idle; ends with a
     * checkpoint unless another trainer took over.
     */
    public void run(BooleanSupplier stop) throws Exception {
        boolean fenced = false;
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
        for (Trainer t : trainers) versions.publish(t, intake.source());
        float[] batchRows = new float[batch * n];
        long lastRecord = System.currentTimeMillis();
        while (!stop.getAsBoolean()) {
            ActivationSource.Polled polled = source.poll(POLL);
            if (polled.isEmpty()) {
                if (config.idleExitMs() > 0
                        && System.currentTimeMillis() - lastRecord > config.idleExitMs()) {
                    LOG.info("no new activations for {} ms: stopping", config.idleExitMs());
                    break;
                }
                continue;
            }
            lastRecord = System.currentTimeMillis();
            for (ActivationSource.Gap gap : polled.gaps()) skip(gap);
            for (ActivationSource.Arrival record : polled.records()) {
                lag.read(record);
                int kept = intake.take(record);
                assembler.add(intake.rows(), 0, kept);
                positions.put(record.position(), record.offset() + 1);
                while (assembler.ready()) {
                    assembler.take(batchRows);
                    batchesTaken++;
                    step(batchRows);
                    if (config.checkpointDir() != null
                            && batchesTaken % config.get(OnlineTrainerConfig.CHECKPOINT_EVERY) == 0)
                        tryCheckpoint();
                }
            }
            jumpIfBehind();
        }
    }

    /**
     * Under --lag-policy skip-to-latest, once the loop is too far behind: moves to the source's
     * end, counts what it jumped over, and reports each range at once in a record of each SAE (the
     * monitor raises ROWS_SKIPPED_FOR_LAG from it).
     */
    private void jumpIfBehind() {
        List<ActivationSource.Gap> gaps = lag.toSkip(positions, System.currentTimeMillis());
        if (gaps.isEmpty()) return;
        Map<String, Long> to = new HashMap<>();
        for (ActivationSource.Gap gap : gaps) {
            recordsSkippedForLag += gap.lost();
            to.put(gap.position(), gap.to());
            LOG.warn(
                    "{} activation records of {} (offsets {} to {}) skipped: the trainer was more"
                            + " than {} records behind (--lag-policy skip-to-latest)",
                    gap.lost(),
                    gap.position(),
                    gap.from(),
                    gap.to() - 1,
                    config.get(OnlineTrainerConfig.MAX_LAG_RECORDS));
            for (List<RetentionGap> skips : unreportedSkips.values()) skips.add(fact(gap));
        }
        positions.putAll(to);
        source.seek(to);
        reportEach();
    }

    /**
     * Retention removed records the loop had not read: counts them, goes on from the oldest record
     * still there, and reports the gap at once in a record of each SAE (the monitor raises
     * ROWS_LOST_TO_RETENTION from it).
     */
    private void skip(ActivationSource.Gap gap) {
        recordsLostToRetention += gap.lost();
        positions.put(gap.position(), gap.to());
        LOG.warn(
                "{} activation records of {} (offsets {} to {}) were removed by retention before"
                        + " the trainer read them; it goes on from offset {}",
                gap.lost(),
                gap.position(),
                gap.from(),
                gap.to() - 1,
                gap.to());
        for (List<RetentionGap> gaps : unreportedGaps.values()) gaps.add(fact(gap));
        reportEach();
    }

    private static RetentionGap fact(ActivationSource.Gap gap) {
        return RetentionGap.newBuilder()
                .setTopic(gap.topic())
                .setPartition(gap.partition())
                .setFromOffset(gap.from())
                .setToOffset(gap.to())
                .build();
    }

    /** Sends a record of each SAE now, with its latest figures, for facts that cannot wait. */
    private void reportEach() {
        for (Trainer t : trainers) {
            SampleGeometry.Figures g;
            synchronized (this) {
                g = geometry.get(t.saeId());
            }
            report(t, t.metrics(), g);
        }
    }

    /** Sends the SAE's figures and facts, with the gaps and skips not yet reported. */
    private void report(Trainer t, TrainingMetrics m, SampleGeometry.Figures g) {
        List<RetentionGap> gaps = unreportedGaps.get(t.saeId());
        List<RetentionGap> skips = unreportedSkips.get(t.saeId());
        outputs.metrics(
                TrainerMetricsRecord.of(
                        t, m, g, versions.current(t.saeId()), lagFigures(), gaps, skips));
        gaps.clear();
        skips.clear();
    }

    private void step(float[] batchRows) throws Exception {
        List<TrainingMetrics> figures = new ArrayList<>(trainers.size());
        for (Trainer t : trainers) {
            StepResult r = t.step(batchRows, 0, batch);
            if (!r.applied())
                LOG.warn(
                        "SAE {} skipped step {}: non-finite loss or gradient", t.saeId(), r.step());
            long done = t.stepsDone();
            if (r.applied() && done % config.get(OnlineTrainerConfig.PUBLISH_EVERY) == 0)
                versions.publish(t, intake.source());
            TrainingMetrics m = t.metrics();
            figures.add(m);
            if (r.applied() && done % config.get(OnlineTrainerConfig.METRICS_EVERY) == 0)
                report(t, m, measure(t, batchRows, done));
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
                        c.penalty().kMax(c.settings(), 0),
                        done % (COHERENCE_EVERY * config.get(OnlineTrainerConfig.METRICS_EVERY))
                                == config.get(OnlineTrainerConfig.METRICS_EVERY));
        synchronized (this) {
            SampleGeometry.Figures before = geometry.get(t.saeId());
            if (g.coherence() == null && before != null)
                g = new SampleGeometry.Figures(g.shrinkage(), before.coherence(), g.active());
            geometry.put(t.saeId(), g);
        }
        return g;
    }

    /**
     * How far the loop is behind the source ({@link StreamLag}); asked once per batch, however many
     * SAEs report.
     */
    private StreamLag.Figures lagFigures() {
        if (lagAtBatch != batchesTaken) {
            lagFigures = lag.measure(positions, System.currentTimeMillis());
            lagAtBatch = batchesTaken;
        }
        return lagFigures;
    }

    /**
     * A periodic checkpoint: one that cannot be written (a full disk) is reported, the previous one
     * stays intact (checkpoints are written aside and renamed), and training goes on to try again
     * at the next interval.
     */
    private void tryCheckpoint() {
        try {
            checkpoint();
        } catch (IOException | UncheckedIOException e) {
            checkpointFailures++;
            LOG.error(
                    "could not write the checkpoint at batch {} ({}); the previous checkpoint"
                            + " stays and training goes on, trying again at the next one, every {}"
                            + " batches",
                    batchesTaken,
                    e.toString(),
                    config.get(OnlineTrainerConfig.CHECKPOINT_EVERY));
        }
    }

    /**
     * Writes every SAE's checkpoint, the pending rows, then the manifest that ties them to the
     * source's positions.
     */
    private void checkpoint() throws IOException {
        Path dir = config.checkpointDir();
        Files.createDirectories(dir);
        Map<String, String> files = new LinkedHashMap<>();
        for (Trainer t : trainers)
            files.put(t.saeId(), dir.relativize(t.checkpoint(dir, Map.of())).toString());
        String pendingFile =
                TrainerManifest.writePending(dir, batchesTaken, assembler.pending(), n);
        new TrainerManifest(
                        Map.copyOf(positions),
                        pendingFile,
                        assembler.pendingRows(),
                        batchesTaken,
                        files,
                        intake.rowsRead(),
                        intake.rowsDeadLettered(),
                        intake.rowChecksum(),
                        intake.source().sourceModel(),
                        intake.source().hookPoint())
                .write(dir);
        source.commit(Map.copyOf(positions));
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
    public Map<String, Long> publishedVersions() {
        return versions.published();
    }

    /** Per SAE id, its steps so far on the sparse path and on the dense graph. */
    public Map<String, long[]> stepsByPath() {
        Map<String, long[]> out = new java.util.LinkedHashMap<>();
        for (Trainer t : trainers) out.put(t.saeId(), t.stepsByPath());
        return out;
    }

    /** The latest measurements per SAE id (shrinkage, coherence, active-set geometry). */
    public synchronized Map<String, SampleGeometry.Figures> geometry() {
        return Map.copyOf(geometry);
    }

    /** The model and hook the SAEs learn from; open sides until the first record came. */
    public SourceBinding source() {
        return intake.source();
    }

    public long rowsRead() {
        return intake.rowsRead();
    }

    /** Records passed over because they came from another model or hook than the SAEs take. */
    public long recordsMismatched() {
        return intake.recordsMismatched();
    }

    public long batchesTaken() {
        return batchesTaken;
    }

    public long skippedRecords() {
        return intake.skippedRecords();
    }

    /** Rows set aside (NaN or Inf) and sent to the dead letters instead of trained on. */
    public long rowsDeadLettered() {
        return intake.rowsDeadLettered();
    }

    /**
     * Sum of {@link dev.aenstream.avro.RowIds#hash} over every row read and kept, across restarts:
     * equal to the producers' sum when each row was read exactly once.
     */
    public long rowChecksum() {
        return intake.rowChecksum();
    }

    /** Activation records retention removed before the loop read them. */
    public long recordsLostToRetention() {
        return recordsLostToRetention;
    }

    /** Activation records jumped over under --lag-policy skip-to-latest. */
    public long recordsSkippedForLag() {
        return recordsSkippedForLag;
    }

    /** Publications that failed (the sink away) and were tried again later. */
    public long publishFailures() {
        return versions.publishFailures();
    }

    /** Checkpoints that could not be written (a full disk); the previous one stayed. */
    public long checkpointFailures() {
        return checkpointFailures;
    }
}
