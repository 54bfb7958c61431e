package dev.aenstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.Topics;
import dev.aenstream.node.TrainerNode;
import dev.aenstream.online.OnlineTrainerConfig;
import dev.aenstream.online.SaeDefinition;
import dev.aenstream.online.TrainerManifest;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.testkit.Wait;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole cluster goes away while the trainer runs, and it comes back: the trainer waits it out
 * (a publication that fails is tried again), goes on where it was, and ends with a checkpoint that
 * has read every row once.
 */
class TrainerBrokerOutageIT {
    private static final int N = 16, ROWS = 16, BATCH = 32;

    @TempDir Path dir;

    @Test
    void theTrainerWaitsOutABrokerOutageAndLosesNothing() throws Exception {
        Topics topics = new Topics("outage.");
        int port = EmbeddedBroker.freePort();
        Path data = dir.resolve("kafka");
        Path checkpoints = dir.resolve("checkpoints");
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        EmbeddedBroker broker = EmbeddedBroker.start(port, data, false);
        // Clients give up on a call sooner than their defaults, so the outage is felt quickly.
        KafkaConnection kafka =
                new KafkaConnection(
                        broker.bootstrapServers(),
                        Map.of(
                                "max.block.ms",
                                "5000",
                                "request.timeout.ms",
                                "5000",
                                "default.api.timeout.ms",
                                "10000"));
        try (Admin admin = Admin.create(kafka.client())) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(1, (short) 1));
        }
        OnlineTrainerConfig config =
                OnlineTrainerConfig.builder(topics)
                        .set(OnlineTrainerConfig.GROUP_ID, "outage")
                        .checkpointDir(checkpoints)
                        .set(OnlineTrainerConfig.CHECKPOINT_EVERY, 1)
                        .set(OnlineTrainerConfig.PUBLISH_EVERY, 2)
                        .set(OnlineTrainerConfig.METRICS_EVERY, 1000)
                        .kMax(8)
                        .build();
        try (TrainerNode trainer =
                TrainerNode.open(
                        kafka,
                        config,
                        List.of(
                                new SaeDefinition(
                                        "aen",
                                        TrainConfig.synthetic(Penalties.AEN, N, 32)
                                                .with(TrainConfig.BATCH, BATCH))),
                        false,
                        Device.CPU,
                        1)) {
            produce(kafka, topics, 0, 8);
            broker.close();
            // The run begins by publishing each SAE: with the broker away that fails, and waits.
            Future<?> run =
                    pool.submit(
                            () -> {
                                trainer.run(stop::get);
                                return null;
                            });
            assertThat(Wait.until(Duration.ofSeconds(60), () -> trainer.publishFailures() >= 1))
                    .as("a publication fails while the broker is away")
                    .isTrue();
            Thread.sleep(5_000);
            assertThat(run.isDone()).as("the trainer waits the outage out").isFalse();

            broker = EmbeddedBroker.start(port, data, false);
            produce(kafka, topics, 8, 8);
            assertThat(Wait.until(Duration.ofSeconds(120), () -> trainer.rowsRead() >= 16 * ROWS))
                    .as("it reads on once the broker is back")
                    .isTrue();
            assertThat(
                            Wait.until(
                                    Duration.ofSeconds(60),
                                    () -> trainer.publishedVersions().getOrDefault("aen", 0L) >= 2))
                    .as("and publishes again")
                    .isTrue();
            stop.set(true);
            run.get(120, TimeUnit.SECONDS);
            assertThat(TrainerManifest.read(checkpoints).rowsRead()).isEqualTo(16 * ROWS);
        } finally {
            pool.shutdownNow();
            broker.close();
        }
    }

    private static void produce(KafkaConnection kafka, Topics topics, int from, int count)
            throws Exception {
        AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
        try (var producer =
                new KafkaProducer<>(
                        kafka.client(), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int b = from; b < from + count; b++) {
                SplittableRandom random = new SplittableRandom(b);
                float[] x = new float[ROWS * N];
                for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
                ActivationBatch a =
                        ActivationBatch.newBuilder()
                                .setSourceModel("test")
                                .setHookPoint("h")
                                .setRows(ROWS)
                                .setN(N)
                                .setDtype(Dtype.FLOAT32)
                                .setNormalisation(Normalisation.NONE)
                                .setProducerId("outage")
                                .setSequence(b)
                                .setPayload(Matrices.encode(x, 0, ROWS, N, Dtype.FLOAT32))
                                .setTimestampMs(System.currentTimeMillis())
                                .build();
                producer.send(new ProducerRecord<>(topics.activations(), null, serde.toBytes(a)))
                        .get(60, TimeUnit.SECONDS);
            }
        }
    }
}
