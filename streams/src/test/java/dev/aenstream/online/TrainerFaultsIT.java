package dev.aenstream.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.node.TrainerNode;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.TopicReader;
import dev.aenstream.testkit.Wait;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The online trainer meets what a long-running stream brings: rows holding NaN, records removed by
 * retention before it read them, partitions added while it runs, a full disk. It keeps training,
 * and every row is trained on once or accounted for.
 */
class TrainerFaultsIT {
    private static final int N = 16;
    private static final int BATCH = 32;
    private static final int ROWS = 16;

    @TempDir Path dir;

    private final Topics topics = new Topics("faults.");
    private final AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
    private long sequence;

    @Test
    void aRowHoldingNanIsDeadLetteredAndTheRestOfItsBatchTrains() throws Exception {
        try (KafkaClusterTestKit cluster = cluster(1);
                KafkaProducer<byte[], byte[]> producer = producer(cluster)) {
            for (int r = 0; r < 8; r++) send(producer, 0, rows(ROWS, r), ROWS);
            float[] poisoned = rows(2 * ROWS + 1, 99);
            poisoned[5 * N + 3] = Float.NaN;
            send(producer, 0, poisoned, 2 * ROWS + 1);
            producer.flush();
            try (TrainerNode trainer = open(cluster, config().build(), false)) {
                trainer.run(() -> trainer.rowsRead() >= 8 * ROWS + 2 * ROWS + 1);
                assertThat(trainer.rowsDeadLettered()).isEqualTo(1);
                assertThat(trainer.metrics())
                        .as("160 finite rows: five whole batches, each step applied")
                        .allSatisfy(m -> assertThat(m.tokens()).isEqualTo(160));
            }
            List<DeadLetter> letters = deadLetters(cluster);
            assertThat(letters)
                    .singleElement()
                    .satisfies(
                            l -> {
                                assertThat(l.getReason()).isEqualTo(DeadLetterReason.NON_FINITE);
                                assertThat(l.getApplication())
                                        .isEqualTo(ActivationIntake.APPLICATION);
                                assertThat(l.getDetail())
                                        .contains("rows [5] of 33")
                                        .contains("other 32");
                                assertThat(l.getSourceOffset()).isEqualTo(8);
                            });
        }
    }

    @Test
    void recordsRemovedByRetentionAreCountedAndReportedAndVersionsAreNeverReused()
            throws Exception {
        Path checkpoints = dir.resolve("checkpoints");
        try (KafkaClusterTestKit cluster = cluster(1);
                KafkaProducer<byte[], byte[]> producer = producer(cluster);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            for (int r = 0; r < 10; r++) send(producer, 0, rows(ROWS, r), ROWS);
            producer.flush();
            OnlineTrainerConfig config =
                    config().checkpointDir(checkpoints)
                            .set(OnlineTrainerConfig.CHECKPOINT_EVERY, 1)
                            .set(OnlineTrainerConfig.PUBLISH_EVERY, 2)
                            .build();
            long before;
            try (TrainerNode first = open(cluster, config, false)) {
                first.run(() -> first.rowsRead() >= 10 * ROWS);
                before = first.publishedVersions().get("aen");
            }
            for (int r = 10; r < 20; r++) send(producer, 0, rows(ROWS, r), ROWS);
            producer.flush();
            // Retention takes offsets 10 to 14 before the trainer comes back.
            TopicPartition p0 = new TopicPartition(topics.activations(), 0);
            admin.deleteRecords(Map.of(p0, RecordsToDelete.beforeOffset(15))).all().get();
            try (TrainerNode second = open(cluster, config, true)) {
                // Rows read count across the resume: the first ten records, then the five retention
                // left.
                second.run(() -> second.rowsRead() >= 15 * ROWS);
                assertThat(second.recordsLostToRetention()).isEqualTo(5);
                assertThat(second.publishedVersions().get("aen"))
                        .as("the resumed trainer numbers its versions past those published")
                        .isGreaterThan(before);
            }
            long retired = before;
            assertThat(
                            TopicReader.read(
                                            cluster.bootstrapServers(),
                                            topics.models(),
                                            false,
                                            Integer.MAX_VALUE,
                                            Duration.ofSeconds(2),
                                            Duration.ZERO)
                                    .stream()
                                    .filter(r -> r.value() == null)
                                    .map(r -> new String(r.key(), StandardCharsets.UTF_8)))
                    .as("the resumed trainer's first version retires the chunks of the last one")
                    .contains(ModelRecords.chunkKey("aen", retired, 0));
            // The trainer states the gap as a fact once; the monitor raises the alert from it.
            assertThat(trainerMetrics(cluster))
                    .flatExtracting(TrainerMetrics::getRetentionGaps)
                    .singleElement()
                    .satisfies(
                            g -> {
                                assertThat(g.getPartition()).isZero();
                                assertThat(g.getFromOffset()).isEqualTo(10);
                                assertThat(g.getToOffset()).isEqualTo(15);
                            });
            assertThat(alerts(cluster)).as("the trainer writes no alert").isEmpty();
        }
    }

    @Test
    void aPartitionAddedWhileTheTrainerRunsIsRead() throws Exception {
        try (KafkaClusterTestKit cluster = cluster(1);
                KafkaProducer<byte[], byte[]> producer = producer(cluster);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            for (int r = 0; r < 4; r++) send(producer, 0, rows(ROWS, r), ROWS);
            producer.flush();
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try (TrainerNode trainer = open(cluster, config().build(), false)) {
                Future<?> run =
                        pool.submit(
                                () -> {
                                    trainer.run(stop::get);
                                    return null;
                                });
                assertThat(Wait.until(Duration.ofSeconds(60), () -> trainer.rowsRead() >= 4 * ROWS))
                        .isTrue();
                admin.createPartitions(Map.of(topics.activations(), NewPartitions.increaseTo(2)))
                        .all()
                        .get();
                for (int r = 4; r < 8; r++) send(producer, 1, rows(ROWS, r), ROWS);
                producer.flush();
                assertThat(
                                Wait.until(
                                        Duration.ofMillis(
                                                3 * KafkaActivationSource.PARTITION_CHECK_MS),
                                        () -> trainer.rowsRead() >= 8 * ROWS))
                        .as("rows of the new partition are read")
                        .isTrue();
                stop.set(true);
                run.get(60, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aFullDiskCostsACheckpointNotTheRunAndTheLastGoodOneStays() throws Exception {
        Path checkpoints = dir.resolve("full");
        // The checkpoint of step 2 is written to a device that is always full.
        Path saeDir = Files.createDirectories(checkpoints.resolve("aen"));
        Files.createSymbolicLink(
                saeDir.resolve(String.format("step-%012d.safetensors.partial.tmp", 2)),
                Path.of("/dev/full"));
        try (KafkaClusterTestKit cluster = cluster(1);
                KafkaProducer<byte[], byte[]> producer = producer(cluster)) {
            for (int r = 0; r < 8; r++) send(producer, 0, rows(ROWS, r), ROWS);
            producer.flush();
            OnlineTrainerConfig config =
                    config().checkpointDir(checkpoints)
                            .set(OnlineTrainerConfig.CHECKPOINT_EVERY, 1)
                            .build();
            try (TrainerNode trainer = open(cluster, config, false)) {
                trainer.run(() -> trainer.rowsRead() >= 8 * ROWS);
                assertThat(trainer.checkpointFailures()).isEqualTo(1);
                assertThat(trainer.batchesTaken()).as("training went on").isEqualTo(4);
            }
            TrainerManifest manifest = TrainerManifest.read(checkpoints);
            assertThat(manifest.batchesTaken()).isEqualTo(4);
            try (TrainerNode resumed = open(cluster, config, true)) {
                assertThat(resumed.batchesTaken()).isEqualTo(4);
            }
        }
    }

    @Test
    void aSecondTrainerOfTheSameGroupFencesTheFirst() throws Exception {
        Path checkpoints = dir.resolve("fenced");
        try (KafkaClusterTestKit cluster = cluster(1);
                KafkaProducer<byte[], byte[]> producer = producer(cluster)) {
            for (int r = 0; r < 4; r++) send(producer, 0, rows(ROWS, r), ROWS);
            producer.flush();
            OnlineTrainerConfig config = config().checkpointDir(checkpoints).build();
            try (TrainerNode first = open(cluster, config, false)) {
                first.run(() -> first.rowsRead() >= 4 * ROWS);
                long checkpointed = TrainerManifest.read(checkpoints).batchesTaken();
                try (TrainerNode second = open(cluster, config, true)) {
                    assertThatThrownBy(() -> first.run(() -> true))
                            .as("the first trainer may not publish any more")
                            .isInstanceOf(ModelPublisher.Fenced.class);
                    assertThat(TrainerManifest.read(checkpoints).batchesTaken())
                            .as("and writes no checkpoint over the second's")
                            .isEqualTo(checkpointed);
                    second.run(() -> true);
                    assertThat(second.publishedVersions().get("aen"))
                            .isGreaterThan(first.publishedVersions().get("aen"));
                }
            }
        }
    }

    private KafkaClusterTestKit cluster(int partitions) throws Exception {
        KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
        try (Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(partitions, (short) 1));
        }
        return cluster;
    }

    private OnlineTrainerConfig.Builder config() {
        return OnlineTrainerConfig.builder(topics)
                .set(OnlineTrainerConfig.GROUP_ID, "faults")
                .set(OnlineTrainerConfig.PUBLISH_EVERY, 1000)
                .set(OnlineTrainerConfig.METRICS_EVERY, 1000)
                .kMax(8);
    }

    private TrainerNode open(
            KafkaClusterTestKit cluster, OnlineTrainerConfig config, boolean resume)
            throws Exception {
        TrainConfig train =
                TrainConfig.synthetic(Penalties.AEN, N, 32).with(TrainConfig.BATCH, BATCH);
        return TrainerNode.open(
                KafkaConnection.of(cluster.bootstrapServers()),
                config,
                List.of(new SaeDefinition("aen", train)),
                resume,
                Device.CPU,
                1);
    }

    private static KafkaProducer<byte[], byte[]> producer(KafkaClusterTestKit cluster) {
        return new KafkaProducer<>(
                KafkaTestCluster.bootstrap(cluster),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    private void send(KafkaProducer<byte[], byte[]> producer, int partition, float[] x, int rows)
            throws Exception {
        ActivationBatch a =
                ActivationBatch.newBuilder()
                        .setSourceModel("test")
                        .setHookPoint("h")
                        .setRows(rows)
                        .setN(N)
                        .setDtype(Dtype.FLOAT32)
                        .setNormalisation(Normalisation.NONE)
                        .setProducerId("faults")
                        .setSequence(sequence++)
                        .setPayload(Matrices.encode(x, 0, rows, N, Dtype.FLOAT32))
                        .setTimestampMs(System.currentTimeMillis())
                        .build();
        producer.send(new ProducerRecord<>(topics.activations(), partition, null, serde.toBytes(a)))
                .get();
    }

    private static float[] rows(int rows, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[rows * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        return x;
    }

    private List<DeadLetter> deadLetters(KafkaClusterTestKit cluster) {
        AvroSerde<DeadLetter> letters = new AvroSerde<>(DeadLetter.class);
        return read(cluster, topics.dlq()).stream().map(letters::fromBytes).toList();
    }

    private List<TrainerMetrics> trainerMetrics(KafkaClusterTestKit cluster) {
        AvroSerde<TrainerMetrics> metrics = new AvroSerde<>(TrainerMetrics.class);
        return read(cluster, topics.trainerMetrics()).stream().map(metrics::fromBytes).toList();
    }

    private List<Alert> alerts(KafkaClusterTestKit cluster) {
        AvroSerde<Alert> alerts = new AvroSerde<>(Alert.class);
        return read(cluster, topics.alerts()).stream().map(alerts::fromBytes).toList();
    }

    private static List<byte[]> read(KafkaClusterTestKit cluster, String topic) {
        return TopicReader.read(
                        cluster.bootstrapServers(),
                        topic,
                        false,
                        Integer.MAX_VALUE,
                        Duration.ofSeconds(2),
                        Duration.ZERO)
                .stream()
                .map(r -> r.value())
                .toList();
    }
}
