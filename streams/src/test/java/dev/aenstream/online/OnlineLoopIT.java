package dev.aenstream.online;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeApp;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.models.ModelFollower;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.models.ModelTrust;
import dev.aenstream.monitor.AlertPublisher;
import dev.aenstream.monitor.FollowerAlerts;
import dev.aenstream.node.TrainerNode;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.TopicReader;
import dev.aenstream.testkit.Wait;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * producer → online trainer → models topic → encoders that swap versions live, against a real
 * broker.
 */
class OnlineLoopIT {
    private static final int N = 32;
    private static final int ROWS_PER_RECORD = 64;
    private static final int RECORDS = 240;
    private static final int FIRST_RECORDS = 10;

    @TempDir Path stateDir;

    @Test
    void encodersMoveToNewerVersionsWithoutRestartAndEveryBatchIsEncodedExactlyOnce()
            throws Exception {
        Topics topics = new Topics("loop.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(2, (short) 1));
            String bootstrap = cluster.bootstrapServers();
            TrainConfig base =
                    TrainConfig.synthetic(Penalties.AEN, N, 64)
                            .with(TrainConfig.BATCH, 64)
                            .toBuilder()
                            .set(AdaptiveWeights.T_WARM, 20)
                            .set(AdaptiveWeights.T_RAMP, 20)
                            .build();
            List<SaeDefinition> saes =
                    List.of(
                            new SaeDefinition("aen", base),
                            new SaeDefinition("l1", base.with(Penalties.parse("l1"))));
            OnlineTrainerConfig config =
                    OnlineTrainerConfig.builder(topics)
                            .set(OnlineTrainerConfig.GROUP_ID, "loop-trainer")
                            .set(OnlineTrainerConfig.CHECKPOINT_EVERY, 1)
                            .set(OnlineTrainerConfig.PUBLISH_EVERY, 25)
                            .set(OnlineTrainerConfig.METRICS_EVERY, 10)
                            .kMax(16)
                            .build();
            SaeRegistry registry = new SaeRegistry();
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            SpikedConfig spiked =
                    SpikedConfig.builder()
                            .set(SpikedConfig.N, N)
                            .set(SpikedConfig.ATOMS, 48)
                            .set(SpikedConfig.K, 4)
                            .set(SpikedConfig.SEED, 3)
                            .build();
            try (TrainerNode trainer =
                            TrainerNode.open(
                                    KafkaConnection.of(bootstrap),
                                    config,
                                    saes,
                                    false,
                                    Device.CPU,
                                    1);
                    AlertPublisher alerts =
                            new AlertPublisher(KafkaConnection.of(bootstrap), topics.alerts());
                    ModelFollower follower =
                            new ModelFollower(
                                            KafkaConnection.of(bootstrap),
                                            topics,
                                            registry,
                                            new FollowerAlerts(alerts),
                                            N,
                                            ModelTrust.anyVersion(),
                                            Device.CPU,
                                            1)
                                    .start()) {
                Future<?> training =
                        pool.submit(
                                () -> {
                                    trainer.run(stop::get);
                                    return null;
                                });
                assertThat(follower.awaitServing(2, Duration.ofSeconds(60))).isTrue();
                assertThat(registry.serving())
                        .allSatisfy(s -> assertThat(s.version()).isEqualTo(1));
                EncodeConfig encode =
                        EncodeConfig.defaults(topics, stateDir).withApplicationId("loop-encode");
                try (EncodeApp app =
                                new EncodeApp(KafkaConnection.of(bootstrap), encode, registry);
                        ActivationPublisher publisher =
                                new ActivationPublisher(
                                        KafkaConnection.of(bootstrap),
                                        PublisherConfig.of(
                                                        topics.activations(),
                                                        "synthetic",
                                                        "loop",
                                                        "loop-producer")
                                                .with(
                                                        PublisherConfig.ROWS_PER_RECORD,
                                                        ROWS_PER_RECORD))) {
                    app.start();
                    assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
                    SpikedGenerator generator = new SpikedGenerator(spiked);
                    float[] x = new float[ROWS_PER_RECORD * N];
                    for (int r = 0; r < RECORDS; r++) {
                        generator.next(x, 0, ROWS_PER_RECORD);
                        publisher.publish(x, ROWS_PER_RECORD, N);
                        if (r == FIRST_RECORDS - 1) {
                            // Version 2 needs 25 steps of 64 rows: these first batches are encoded
                            // with version 1 whatever the timing.
                            publisher.flush();
                            assertThat(
                                            Wait.until(
                                                    Duration.ofSeconds(60),
                                                    Duration.ofMillis(50),
                                                    () ->
                                                            app.stats().records()
                                                                    >= 2L * FIRST_RECORDS))
                                    .as("the first batches were encoded with version 1")
                                    .isTrue();
                        }
                        // Paced, so that versions change while batches are being encoded.
                        if (r % 10 == 9) {
                            publisher.flush();
                            Thread.sleep(150);
                        }
                    }
                    publisher.flush();
                    Map<String, Map<Long, Long>> versionsBySequence =
                            drainCodes(bootstrap, topics.codes(), 2 * RECORDS);
                    stop.set(true);
                    training.get(60, TimeUnit.SECONDS);

                    Set<String> published = publishedVersions(bootstrap, topics.models());
                    Map<String, dev.aenstream.avro.TrainerMetrics> metrics =
                            latestMetrics(bootstrap, topics.trainerMetrics());
                    assertThat(metrics.keySet()).containsExactlyInAnyOrder("aen", "l1");
                    assertThat(metrics.get("aen").getStep()).isPositive();
                    assertThat(metrics.get("aen").getTokens())
                            .isEqualTo(metrics.get("aen").getStep() * 64);
                    assertThat(metrics.get("aen").getArch()).isEqualTo("aen");
                    assertThat(metrics.get("l1").getWeightSaturation()).isNull();
                    for (String saeId : List.of("aen", "l1")) {
                        Map<Long, Long> bySequence = versionsBySequence.get(saeId);
                        assertThat(bySequence)
                                .as("codes of %s, one per batch", saeId)
                                .hasSize(RECORDS);
                        TreeSet<Long> versions = new TreeSet<>(bySequence.values());
                        assertThat(versions.first()).isEqualTo(1);
                        assertThat(versions.last())
                                .as("the encoders moved to newer versions of %s", saeId)
                                .isGreaterThan(1);
                        for (long v : versions) assertThat(published).contains(saeId + "/" + v);
                        assertThat(app.state().isRunningOrRebalancing()).isTrue();
                    }
                }
            } finally {
                stop.set(true);
                pool.shutdownNow();
            }
        }
    }

    /** Reads codes with read_committed; fails on a duplicate (same SAE, same batch). */
    private static Map<String, Map<Long, Long>> drainCodes(
            String bootstrap, String topic, int expected) {
        AvroSerde<FeatureCodes> serde = new AvroSerde<>(FeatureCodes.class);
        Map<String, Map<Long, Long>> out = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.read(
                        bootstrap,
                        topic,
                        true,
                        expected,
                        Duration.ofSeconds(120),
                        Duration.ofSeconds(2))) {
            FeatureCodes c = serde.fromBytes(r.value());
            Long previous =
                    out.computeIfAbsent(c.getSaeId(), k -> new HashMap<>())
                            .put(c.getSequence(), c.getVersion());
            assertThat(previous)
                    .as("duplicate codes for %s batch %d", c.getSaeId(), c.getSequence())
                    .isNull();
        }
        return out;
    }

    private static Map<String, dev.aenstream.avro.TrainerMetrics> latestMetrics(
            String bootstrap, String topic) {
        AvroSerde<dev.aenstream.avro.TrainerMetrics> serde =
                new AvroSerde<>(dev.aenstream.avro.TrainerMetrics.class);
        Map<String, dev.aenstream.avro.TrainerMetrics> out = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.readFor(bootstrap, topic, false, Duration.ofSeconds(5))) {
            var m = serde.fromBytes(r.value());
            out.put(m.getSaeId(), m);
        }
        return out;
    }

    private static Set<String> publishedVersions(String bootstrap, String topic) {
        AvroSerde<SaeModel> serde = new AvroSerde<>(SaeModel.class);
        Set<String> out = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.readFor(bootstrap, topic, false, Duration.ofSeconds(10))) {
            if (ModelRecords.MODEL.equals(ModelRecords.type(r.headers()))) {
                SaeModel m = serde.fromBytes(r.value());
                out.add(m.getSaeId() + "/" + m.getVersion());
            }
        }
        return out;
    }
}
