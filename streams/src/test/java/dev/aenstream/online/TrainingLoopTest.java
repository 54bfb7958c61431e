package dev.aenstream.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.RowIds;
import dev.aenstream.avro.SourceBinding;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.sae.onnx.OnnxPackage;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.train.Checkpoints;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.Trainer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training loop driven without a broker: an in-memory source of records, a list of published
 * versions, lists of figures and dead letters. What the Kafka trainer promises (every row once
 * across restarts, bad rows accounted for, retention gaps reported, versions at their cadence) is
 * decided here.
 */
class TrainingLoopTest {
    private static final int N = 8;
    private static final int D = 16;
    private static final int BATCH = 16;
    private static final int ROWS = 8;
    private static final String TOPIC = "acts";
    private static final String PRODUCER = "loop-test";

    @TempDir Path dir;

    private final Topics topics = new Topics("loop.");
    private final AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
    private final List<Trainer> opened = new ArrayList<>();
    private final Outputs outputs = new Outputs();
    private final Versions versions = new Versions();

    @AfterEach
    void closeTrainers() throws Exception {
        for (Trainer t : opened) t.close();
    }

    @Test
    void everyRowIsReadOnceAndVersionsFollowTheirCadence() throws Exception {
        Source source = new Source();
        long checksum = 0;
        for (int r = 0; r < 20; r++) checksum += source.add(0, rows(ROWS, r), ROWS);
        TrainingLoop loop =
                loop(
                        config().set(OnlineTrainerConfig.PUBLISH_EVERY, 3).build(),
                        source,
                        null,
                        Map.of());
        loop.run(source::drained);

        assertThat(loop.rowsRead()).isEqualTo(20 * ROWS);
        assertThat(loop.batchesTaken()).isEqualTo(20 * ROWS / BATCH);
        assertThat(loop.rowChecksum()).isEqualTo(checksum);
        assertThat(loop.metrics())
                .singleElement()
                .satisfies(m -> assertThat(m.step()).isEqualTo(10));
        // Version 1 before the first step, then one per three steps: 3, 6, 9.
        assertThat(versions.published)
                .extracting(ModelPublisher.Version::version)
                .containsExactly(1L, 2L, 3L, 4L);
        assertThat(versions.published)
                .extracting(v -> v.hyperparameters().get("step"))
                .containsExactly("0", "3", "6", "9");
        assertThat(versions.published.get(0).lineage())
                .as("the first names no predecessor")
                .isNull();
        assertThat(versions.published.get(1).lineage().from()).isEqualTo(1);
        assertThat(loop.publishedVersions()).containsEntry("aen", 4L);
    }

    @Test
    void figuresGoOutEveryMetricsInterval() throws Exception {
        Source source = new Source();
        for (int r = 0; r < 12; r++) source.add(0, rows(ROWS, r), ROWS);
        TrainingLoop loop =
                loop(
                        config().set(OnlineTrainerConfig.METRICS_EVERY, 2).build(),
                        source,
                        null,
                        Map.of());
        loop.run(source::drained);

        assertThat(outputs.metrics).extracting(TrainerMetrics::getStep).containsExactly(2L, 4L, 6L);
        // Two records a batch: after steps 2, 4 and 6 the loop has read 4, 8 and 12 of 12.
        assertThat(outputs.metrics)
                .extracting(TrainerMetrics::getConsumerLag)
                .containsExactly(8L, 4L, 0L);
        assertThat(outputs.metrics)
                .allSatisfy(
                        m -> {
                            assertThat(m.getTokens()).isEqualTo(m.getStep() * BATCH);
                            assertThat(m.getVersion()).isEqualTo(1);
                            // The records are stamped at time 0: their age is the clock's.
                            assertThat(m.getLagMs()).isGreaterThan(1_000_000_000_000L);
                            assertThat(m.getStreamShare())
                                    .as("nothing was appended while the loop read")
                                    .isNull();
                            assertThat(m.getLagSkips()).isEmpty();
                        });
    }

    @Test
    void aRowHoldingNanIsDeadLetteredAndTheRestOfItsRecordTrains() throws Exception {
        Source source = new Source();
        long checksum = source.add(0, rows(2 * ROWS, 1), 2 * ROWS);
        float[] poisoned = rows(2 * ROWS + 1, 2);
        poisoned[5 * N + 3] = Float.NaN;
        long sequence = source.sequence;
        source.add(0, poisoned, 2 * ROWS + 1);
        for (int r = 0; r < 2 * ROWS + 1; r++)
            if (r != 5) checksum += RowIds.hash(PRODUCER, sequence, r);
        TrainingLoop loop = loop(config().build(), source, null, Map.of());
        loop.run(source::drained);

        assertThat(loop.rowsRead()).isEqualTo(4 * ROWS + 1);
        assertThat(loop.rowsDeadLettered()).isEqualTo(1);
        assertThat(loop.rowChecksum()).as("the bad row is not counted as kept").isEqualTo(checksum);
        assertThat(loop.batchesTaken()).as("32 finite rows: two batches").isEqualTo(2);
        assertThat(outputs.deadLetters)
                .singleElement()
                .satisfies(
                        l -> {
                            assertThat(l.getReason()).isEqualTo(DeadLetterReason.NON_FINITE);
                            assertThat(l.getApplication()).isEqualTo(ActivationIntake.APPLICATION);
                            assertThat(l.getDetail())
                                    .contains("rows [5] of 17")
                                    .contains("other 16");
                            assertThat(l.getSourceOffset()).isEqualTo(1);
                        });
    }

    @Test
    void unreadableRecordsAndOtherSourcesAreCountedNeverTrainedOn() throws Exception {
        Source source = new Source();
        source.addRaw(0, "not avro".getBytes(StandardCharsets.UTF_8));
        source.add(0, rows(ROWS, 1), ROWS, "other-model", "h");
        source.add(0, rows(2 * ROWS, 2), 2 * ROWS);
        ActivationBatch lying = serde.fromBytes(source.lastValue());
        lying.setRows(1 << 30); // a few bytes declaring 8 G values: refused before any allocation
        source.addRaw(0, serde.toBytes(lying));
        TrainingLoop loop =
                loop(
                        config().source(new SourceBinding("test", "h")).build(),
                        source,
                        null,
                        Map.of());
        loop.run(source::drained);

        assertThat(loop.skippedRecords()).isEqualTo(2);
        assertThat(loop.recordsMismatched()).isEqualTo(1);
        assertThat(loop.rowsRead()).isEqualTo(2 * ROWS);
        assertThat(loop.batchesTaken()).isEqualTo(1);
    }

    @Test
    void aTrainerTooFarBehindJumpsToTheLatestAndReportsWhatItSkipped() throws Exception {
        Source source = new Source();
        for (int r = 0; r < 10; r++) source.add(0, rows(ROWS, r), ROWS);
        Path checkpoints = dir.resolve("checkpoints");
        TrainingLoop loop =
                loop(
                        config().checkpointDir(checkpoints)
                                .set(OnlineTrainerConfig.LAG_POLICY, "skip-to-latest")
                                .set(OnlineTrainerConfig.MAX_LAG_RECORDS, 3)
                                .build(),
                        source,
                        null,
                        Map.of());
        loop.run(source::drained);

        // It read record 0, found itself 9 behind (more than 3) and jumped to the end.
        assertThat(loop.recordsSkippedForLag()).isEqualTo(9);
        assertThat(loop.rowsRead()).isEqualTo(ROWS);
        assertThat(outputs.metrics)
                .as("the range goes out at once, in one record, as a fact for the monitor")
                .singleElement()
                .satisfies(
                        m -> {
                            assertThat(m.getLagSkips()).hasSize(1);
                            assertThat(m.getLagSkips().get(0).getFromOffset()).isEqualTo(1);
                            assertThat(m.getLagSkips().get(0).getToOffset()).isEqualTo(10);
                            assertThat(m.getRetentionGaps()).isEmpty();
                        });
        assertThat(TrainerManifest.read(checkpoints).positions())
                .as("a resume goes on after the range")
                .containsEntry(TOPIC + "-0", 10L);
    }

    @Test
    void byDefaultATrainerBehindReadsEveryRow() throws Exception {
        Source source = new Source();
        for (int r = 0; r < 10; r++) source.add(0, rows(ROWS, r), ROWS);
        TrainingLoop loop =
                loop(
                        config().set(OnlineTrainerConfig.MAX_LAG_RECORDS, 3).build(),
                        source,
                        null,
                        Map.of());
        loop.run(source::drained);

        assertThat(loop.recordsSkippedForLag()).isZero();
        assertThat(loop.rowsRead()).isEqualTo(10 * ROWS);
    }

    @Test
    void aRetentionGapIsCountedReportedAndSkipped() throws Exception {
        Source source = new Source();
        source.add(0, rows(ROWS, 1), ROWS);
        source.gap(0, 1, 41);
        source.add(0, rows(ROWS, 2), ROWS);
        Path checkpoints = dir.resolve("checkpoints");
        TrainingLoop loop =
                loop(config().checkpointDir(checkpoints).build(), source, null, Map.of());
        loop.run(source::drained);

        assertThat(loop.recordsLostToRetention()).isEqualTo(40);
        assertThat(outputs.metrics)
                .as("the gap goes out at once, in one record, as a fact for the monitor")
                .singleElement()
                .satisfies(
                        m -> {
                            assertThat(m.getRetentionGaps()).hasSize(1);
                            assertThat(m.getRetentionGaps().get(0).getFromOffset()).isEqualTo(1);
                            assertThat(m.getRetentionGaps().get(0).getToOffset()).isEqualTo(41);
                            assertThat(m.getStep()).as("before any step").isZero();
                        });
        assertThat(TrainerManifest.read(checkpoints).positions())
                .as("reading went on after the gap")
                .containsEntry(TOPIC + "-0", 42L);
    }

    @Test
    void aResumedLoopTrainsOnEveryRowExactlyOnce() throws Exception {
        Path checkpoints = dir.resolve("checkpoints");
        OnlineTrainerConfig config =
                config().checkpointDir(checkpoints)
                        .set(OnlineTrainerConfig.PUBLISH_EVERY, 2)
                        .build();
        Source first = new Source();
        long checksum = 0;
        // 7 records of 8 rows: 3 batches trained, 8 rows pending at the checkpoint.
        for (int r = 0; r < 7; r++) checksum += first.add(r % 2, rows(ROWS, r), ROWS);
        TrainingLoop before = loop(config, first, null, Map.of());
        before.run(first::drained);
        TrainerManifest manifest = TrainerManifest.read(checkpoints);
        assertThat(manifest.batchesTaken()).isEqualTo(3);
        assertThat(manifest.pendingRows()).isEqualTo(ROWS);
        assertThat(manifest.positions())
                .containsEntry(TOPIC + "-0", 4L)
                .containsEntry(TOPIC + "-1", 3L);
        long lastVersion = before.publishedVersions().get("aen");

        // The records after the checkpoint's positions; the resumed loop reads only those.
        Source rest = new Source();
        rest.sequence = first.sequence;
        rest.offsets.putAll(first.offsets);
        for (int r = 7; r < 12; r++) checksum += rest.add(r % 2, rows(ROWS, r), ROWS);
        Checkpoints.Checkpoint cp =
                Checkpoints.load(checkpoints.resolve(manifest.saes().get("aen")));
        Trainer resumed = Trainer.resume("aen", cp, Device.CPU, 1);
        opened.add(resumed);
        versions.published.clear();
        TrainingLoop after =
                new TrainingLoop(
                        config,
                        List.of(resumed),
                        rest,
                        versions,
                        outputs,
                        manifest,
                        Map.of("aen", lastVersion));
        after.run(rest::drained);

        assertThat(after.rowsRead()).isEqualTo(12 * ROWS);
        assertThat(after.rowChecksum()).isEqualTo(checksum);
        assertThat(after.batchesTaken()).isEqualTo(12 * ROWS / BATCH);
        assertThat(after.metrics())
                .singleElement()
                .satisfies(m -> assertThat(m.step()).isEqualTo(6));
        assertThat(versions.published)
                .extracting(ModelPublisher.Version::version)
                .as("numbers go on past the versions published before the restart")
                .allSatisfy(v -> assertThat(v).isGreaterThan(lastVersion));
        assertThat(TrainerManifest.read(checkpoints).pendingRows()).isZero();
    }

    @Test
    void aVersionThatCannotBePublishedIsCountedAndTriedAtTheNextInterval() throws Exception {
        Source source = new Source();
        for (int r = 0; r < 8; r++) source.add(0, rows(ROWS, r), ROWS);
        versions.failures = 2;
        TrainingLoop loop =
                loop(
                        config().set(OnlineTrainerConfig.PUBLISH_EVERY, 1).build(),
                        source,
                        null,
                        Map.of());
        loop.run(source::drained);

        assertThat(loop.publishFailures()).isEqualTo(2);
        assertThat(versions.published)
                .extracting(v -> v.hyperparameters().get("step"))
                .as("the first two (steps 0 and 1) failed; training went on")
                .containsExactly("2", "3", "4");
    }

    @Test
    void aFencedLoopStopsWithoutACheckpoint() throws Exception {
        Source source = new Source();
        for (int r = 0; r < 4; r++) source.add(0, rows(ROWS, r), ROWS);
        versions.fenced = true;
        Path checkpoints = dir.resolve("checkpoints");
        TrainingLoop loop =
                loop(config().checkpointDir(checkpoints).build(), source, null, Map.of());
        assertThatThrownBy(() -> loop.run(source::drained))
                .isInstanceOf(ModelPublisher.Fenced.class);
        assertThat(TrainerManifest.read(checkpoints)).isNull();
    }

    @Test
    void starvingFeaturesGoOutAsFactsWithTheirCrossLeverage() throws Exception {
        Source source = new Source();
        // Rows along one direction: most features never fire, and the short window says so.
        for (int r = 0; r < 24; r++) {
            float[] x = new float[ROWS * N];
            for (int i = 0; i < ROWS; i++) x[i * N] = 1 + i;
            source.add(0, x, ROWS);
        }
        TrainConfig train =
                TrainConfig.synthetic(Penalties.AEN, N, D).toBuilder()
                        .set(TrainConfig.BATCH, BATCH)
                        .set(TrainConfig.DEAD_WINDOW_TOKENS, 4 * BATCH)
                        .build();
        TrainingLoop loop =
                loop(
                        config().set(OnlineTrainerConfig.METRICS_EVERY, 4).build(),
                        source,
                        train,
                        Map.of());
        loop.run(source::drained);

        assertThat(outputs.metrics)
                .extracting(TrainerMetrics::getStep)
                .containsExactly(4L, 8L, 12L);
        TrainerMetrics last = outputs.metrics.get(2);
        assertThat(last.getWindowTokens()).isEqualTo(4 * BATCH);
        assertThat(last.getStarvingFeatures()).isNotEmpty().isSorted();
        assertThat(last.getStarvingLeverage()).hasSameSizeAs(last.getStarvingFeatures());
        assertThat(last.getDeadPct()).isEqualTo(100.0 * last.getStarvingFeatures().size() / D);
        assertThat(last.getRetentionGaps()).isEmpty();
    }

    private OnlineTrainerConfig.Builder config() {
        return OnlineTrainerConfig.builder(topics)
                .set(OnlineTrainerConfig.GROUP_ID, "loop")
                .set(OnlineTrainerConfig.PUBLISH_EVERY, 1000)
                .set(OnlineTrainerConfig.METRICS_EVERY, 1000)
                .set(OnlineTrainerConfig.CHECKPOINT_EVERY, 1000)
                .kMax(8);
    }

    private TrainingLoop loop(
            OnlineTrainerConfig config,
            Source source,
            TrainConfig train,
            Map<String, Long> newestOnTopic)
            throws Exception {
        TrainConfig c =
                train != null
                        ? train
                        : TrainConfig.synthetic(Penalties.AEN, N, D).with(TrainConfig.BATCH, BATCH);
        Trainer t = Trainer.start("aen", c, Device.CPU, 1);
        opened.add(t);
        return new TrainingLoop(config, List.of(t), source, versions, outputs, null, newestOnTopic);
    }

    private static float[] rows(int rows, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[rows * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        return x;
    }

    /** Records and gaps in the order they are to arrive, one record or gap per poll. */
    private final class Source implements ActivationSource {
        private final Deque<Object> queue = new ArrayDeque<>();
        private final Map<Integer, Long> offsets = new HashMap<>();
        private long sequence;
        private final List<Map<String, Long>> commits = new ArrayList<>();

        /** Adds a record of the test's source; the sum of its rows' ids. */
        long add(int partition, float[] x, int rows) {
            return add(partition, x, rows, "test", "h");
        }

        long add(int partition, float[] x, int rows, String model, String hook) {
            long seq = sequence++;
            ActivationBatch a =
                    ActivationBatch.newBuilder()
                            .setSourceModel(model)
                            .setHookPoint(hook)
                            .setRows(rows)
                            .setN(N)
                            .setDtype(Dtype.FLOAT32)
                            .setNormalisation(Normalisation.NONE)
                            .setProducerId(PRODUCER)
                            .setSequence(seq)
                            .setPayload(Matrices.encode(x, 0, rows, N, Dtype.FLOAT32))
                            .setTimestampMs(0)
                            .build();
            addRaw(partition, serde.toBytes(a));
            long sum = 0;
            for (int r = 0; r < rows; r++) sum += RowIds.hash(PRODUCER, seq, r);
            return sum;
        }

        void addRaw(int partition, byte[] value) {
            long offset = offsets.merge(partition, 1L, Long::sum) - 1;
            queue.add(new Arrival(TOPIC, partition, offset, null, value, 0));
        }

        void gap(int partition, long from, long to) {
            queue.add(new Gap(TOPIC, partition, from, to));
            offsets.put(partition, to);
        }

        byte[] lastValue() {
            return ((Arrival) queue.peekLast()).value();
        }

        boolean drained() {
            return queue.isEmpty();
        }

        @Override
        public Polled poll(Duration timeout) {
            Object next = queue.poll();
            if (next == null) return Polled.NOTHING;
            if (next instanceof Gap g) return new Polled(List.of(g), List.of());
            return new Polled(List.of(), List.of((Arrival) next));
        }

        /** Every record added counts as appended, whether the loop polled it yet or not. */
        @Override
        public Map<String, Long> ends() {
            Map<String, Long> ends = new HashMap<>();
            offsets.forEach((p, end) -> ends.put(ActivationSource.position(TOPIC, p), end));
            return ends;
        }

        @Override
        public void seek(Map<String, Long> positions) {
            queue.removeIf(
                    next ->
                            next instanceof Arrival a
                                    && a.offset()
                                            < positions.getOrDefault(a.position(), a.offset()));
        }

        @Override
        public void commit(Map<String, Long> positions) {
            commits.add(positions);
        }

        @Override
        public void close() {}
    }

    /** Versions published, in order; fails or fences on demand. */
    private static final class Versions implements VersionSink {
        final List<ModelPublisher.Version> published = new ArrayList<>();
        int failures;
        boolean fenced;

        @Override
        public void publish(ModelPublisher.Version version, OnnxPackage model)
                throws Unavailable, ModelPublisher.Fenced {
            if (fenced)
                throw new ModelPublisher.Fenced(new IllegalStateException("an older epoch"));
            if (failures > 0) {
                failures--;
                throw new Unavailable(new IllegalStateException("the broker is away"));
            }
            published.add(version);
        }

        @Override
        public void close() {}
    }

    /** Reports kept in lists. */
    private static final class Outputs implements TrainerOutputs {
        final List<TrainerMetrics> metrics = new ArrayList<>();
        final List<DeadLetter> deadLetters = new ArrayList<>();

        @Override
        public void metrics(TrainerMetrics figures) {
            metrics.add(figures);
        }

        @Override
        public void deadLetter(byte[] key, DeadLetter letter) {
            deadLetters.add(letter);
        }

        @Override
        public void close() {}
    }
}
