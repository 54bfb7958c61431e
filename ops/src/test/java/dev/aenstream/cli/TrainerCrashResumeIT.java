package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.online.TrainerManifest;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.testkit.AenProcess;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.Wait;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The online trainer killed without a clean shutdown (SIGKILL of its process) and started again
 * with --resume: it continues from its last checkpoint and trains on exactly the rows after the
 * checkpoint's offsets (plus the rows the checkpoint held back), none lost, none twice.
 */
class TrainerCrashResumeIT {
    private static final int N = 32;
    private static final int ROWS_PER_RECORD = 100;
    private static final int RECORDS = 150;
    private static final int BATCH = 48;

    @TempDir Path dir;

    @Test
    void aKilledTrainerResumesExactlyWhereItsCheckpointLeftIt() throws Exception {
        Topics topics = new Topics("crash.");
        Path checkpoints = dir.resolve("checkpoints");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(3, (short) 1));
            String bootstrap = cluster.bootstrapServers();
            List<String> train =
                    List.of(
                            "train",
                            "--bootstrap-servers",
                            bootstrap,
                            "--topic-prefix",
                            topics.prefix(),
                            "--sae",
                            "aen:aen",
                            "--setting",
                            "synthetic",
                            "--n",
                            Integer.toString(N),
                            "--d-sae",
                            "256",
                            "--batch",
                            Integer.toString(BATCH),
                            "--checkpoint-dir",
                            checkpoints.toString(),
                            "--checkpoint-every",
                            "7",
                            "--publish-every",
                            "1000",
                            "--device",
                            "cpu",
                            "--threads",
                            "1");

            Process first = start(train, dir.resolve("first.log"));
            try (ActivationPublisher publisher =
                    new ActivationPublisher(
                            KafkaConnection.of(bootstrap),
                            PublisherConfig.of(
                                            topics.activations(),
                                            "synthetic",
                                            "crash",
                                            "crash-producer")
                                    .with(PublisherConfig.ROWS_PER_RECORD, ROWS_PER_RECORD))) {
                SpikedGenerator generator =
                        new SpikedGenerator(
                                SpikedConfig.builder()
                                        .set(SpikedConfig.N, N)
                                        .set(SpikedConfig.ATOMS, 64)
                                        .set(SpikedConfig.K, 4)
                                        .set(SpikedConfig.SEED, 9)
                                        .build());
                float[] x = new float[ROWS_PER_RECORD * N];
                boolean killed = false;
                for (int r = 0; r < RECORDS; r++) {
                    generator.next(x, 0, ROWS_PER_RECORD);
                    publisher.publish(x, ROWS_PER_RECORD, N);
                    publisher.flush();
                    Thread.sleep(40);
                    TrainerManifest m = TrainerManifest.read(checkpoints);
                    if (!killed && m != null && m.batchesTaken() >= 70) {
                        first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                        killed = true;
                    }
                }
                // On a slow machine the trainer may reach the checkpoint only after the last record
                // went out: kill it then.
                if (!killed
                        && Wait.until(
                                Duration.ofSeconds(60),
                                () -> {
                                    TrainerManifest m = TrainerManifest.read(checkpoints);
                                    return m != null && m.batchesTaken() >= 70;
                                })) {
                    first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                    killed = true;
                }
                assertThat(killed)
                        .as(
                                "the trainer was killed mid-run; its log:%n%s",
                                Files.readString(dir.resolve("first.log")))
                        .isTrue();
            }
            TrainerManifest atCrash = TrainerManifest.read(checkpoints);
            long rowsAfterOffsets = rowsAfter(bootstrap, topics.activations(), atCrash.positions());
            assertThat(rowsAfterOffsets).isPositive();

            List<String> resume = new ArrayList<>(train);
            resume.addAll(List.of("--resume", "--idle-exit", "3"));
            Process second = start(resume, dir.resolve("second.log"));
            assertThat(second.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(second.exitValue()).as(Files.readString(dir.resolve("second.log"))).isZero();
            TrainerManifest done = TrainerManifest.read(checkpoints);

            long trainedAfterRestart = (done.batchesTaken() - atCrash.batchesTaken()) * BATCH;
            assertThat(trainedAfterRestart)
                    .as("rows trained after the restart")
                    .isEqualTo(rowsAfterOffsets + atCrash.pendingRows() - done.pendingRows());
            assertThat(done.batchesTaken() * BATCH + done.pendingRows())
                    .as("every row trained once, or waiting")
                    .isEqualTo((long) RECORDS * ROWS_PER_RECORD);
            assertThat(Files.readString(dir.resolve("second.log")))
                    .contains("resumes at step " + atCrash.batchesTaken());
        }
    }

    private Process start(List<String> args, Path log) throws Exception {
        return AenProcess.start(Aen.class, args, log);
    }

    /** Rows in the topic from the given positions on. */
    private static long rowsAfter(String bootstrap, String topic, Map<String, Long> positions) {
        var serde = new dev.aenstream.avro.AvroSerde<>(dev.aenstream.avro.ActivationBatch.class);
        long rows = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        Map.of("bootstrap.servers", bootstrap),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
            List<TopicPartition> parts =
                    consumer.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            for (TopicPartition tp : parts)
                consumer.seek(tp, positions.getOrDefault(tp.toString(), 0L));
            long[] read = {0};
            assertThat(
                            Wait.until(
                                    Duration.ofSeconds(30),
                                    Duration.ZERO,
                                    () -> {
                                        for (var r : consumer.poll(Duration.ofMillis(300)))
                                            read[0] += serde.fromBytes(r.value()).getRows();
                                        return parts.stream()
                                                .noneMatch(
                                                        tp -> consumer.position(tp) < end.get(tp));
                                    }))
                    .as("the reader reached the end of every partition")
                    .isTrue();
            rows += read[0];
        }
        return rows;
    }
}
