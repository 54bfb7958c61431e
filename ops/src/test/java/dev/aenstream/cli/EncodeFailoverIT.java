package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeState;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeApp;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.testkit.AenProcess;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.TopicReader;
import dev.aenstream.testkit.Wait;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once under failure on three brokers (replication 3): two encode instances share the work,
 * one is killed without a clean shutdown and one broker is stopped during the run. Every activation
 * batch has exactly one codes record (read_committed), and the statistics count every token once.
 */
class EncodeFailoverIT {
    private static final int N = 32;
    private static final int D = 64;
    private static final int ROWS_PER_RECORD = 64;
    private static final int RECORDS = 300;
    private static final long GRACE_MS = 600_000;

    @TempDir Path dir;

    @Test
    void everyRowIsEncodedOnceAndCountedOnceThroughAKilledInstanceAndAStoppedBroker()
            throws Exception {
        Topics topics = new Topics("failover.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(3);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(4, (short) 3));
            String bootstrap = cluster.bootstrapServers();
            // Both instances serve the same untrained SAE: the same seed gives the same weights.
            Process killed =
                    AenProcess.start(
                            Aen.class,
                            List.of(
                                    "encode",
                                    "--bootstrap-servers",
                                    bootstrap,
                                    "--topic-prefix",
                                    topics.prefix(),
                                    "--replication-factor",
                                    "3",
                                    "--application-id",
                                    "failover-encode",
                                    "--untrained",
                                    "--n",
                                    Integer.toString(N),
                                    "--d-sae",
                                    Integer.toString(D),
                                    "--k-max",
                                    Integer.toString(D),
                                    "--sae-seed",
                                    "1",
                                    "--device",
                                    "cpu",
                                    "--stats-window-ms",
                                    "1000",
                                    "--stats-grace-ms",
                                    Long.toString(GRACE_MS),
                                    "--state-dir",
                                    dir.resolve("state-a").toString(),
                                    // Missed after 6 s (the broker's minimum), not Kafka Streams'
                                    // 45: the survivor takes its partitions over sooner.
                                    "--command-property",
                                    "session.timeout.ms=6000",
                                    "--command-property",
                                    "heartbeat.interval.ms=1500"),
                            dir.resolve("a.log"));

            MonitorConfig monitor =
                    MonitorConfig.builder()
                            .set(MonitorConfig.WINDOW_MS, 1000)
                            .set(MonitorConfig.GRACE_MS, GRACE_MS)
                            .set(MonitorConfig.FVE_ROW_STRIDE, 1)
                            .build();
            EncodeConfig config =
                    EncodeConfig.defaults(topics, dir.resolve("state-b")).toBuilder()
                            .set(EncodeConfig.APPLICATION_ID, "failover-encode")
                            .monitor(monitor)
                            .replicationFactor((short) 3)
                            .build();
            SaeRegistry registry = new SaeRegistry();
            try (SaeEncoder encoder =
                            SaeEncoder.open(
                                    SaeParameters.initialise(N, D, 1),
                                    new EncoderSpec(D, false),
                                    Device.CPU,
                                    1);
                    EncodeApp survivor =
                            new EncodeApp(KafkaConnection.of(bootstrap), config, registry);
                    ActivationPublisher publisher =
                            new ActivationPublisher(
                                    KafkaConnection.of(bootstrap),
                                    PublisherConfig.of(
                                                    topics.activations(),
                                                    "synthetic",
                                                    "failover",
                                                    "failover-producer")
                                            .with(
                                                    PublisherConfig.ROWS_PER_RECORD,
                                                    ROWS_PER_RECORD))) {
                registry.put(new ServingSae("aen", 1, encoder, "untrained, seed 1"));
                survivor.start();
                SpikedGenerator generator =
                        new SpikedGenerator(
                                SpikedConfig.builder()
                                        .set(SpikedConfig.N, N)
                                        .set(SpikedConfig.ATOMS, 48)
                                        .set(SpikedConfig.K, 4)
                                        .set(SpikedConfig.SEED, 5)
                                        .build());
                float[] x = new float[ROWS_PER_RECORD * N];
                int stoppedBroker =
                        cluster.brokers().keySet().stream()
                                .filter(id -> !cluster.controllers().containsKey(id))
                                .max(Integer::compare)
                                .orElseThrow();
                boolean wasKilled = false;
                for (int r = 0; r < RECORDS; r++) {
                    generator.next(x, 0, ROWS_PER_RECORD);
                    publisher.publish(x, ROWS_PER_RECORD, N);
                    publisher.flush();
                    Thread.sleep(60);
                    // Killed in the middle of its work: once it reports encoding, and no earlier
                    // than a third of the way.
                    if (!wasKilled
                            && r >= RECORDS / 3
                            && Files.readString(dir.resolve("a.log"))
                                    .matches("(?s).*RUNNING: [1-9].*")) {
                        killed.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                        wasKilled = true;
                    }
                    if (r == 2 * RECORDS / 3) cluster.brokers().get(stoppedBroker).shutdown();
                }
                // On a slow machine the instance may report only after the last record went out:
                // kill it then.
                if (!wasKilled
                        && Wait.until(
                                Duration.ofSeconds(60),
                                Duration.ofMillis(200),
                                () ->
                                        Files.readString(dir.resolve("a.log"))
                                                .matches("(?s).*RUNNING: [1-9].*"))) {
                    killed.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                    wasKilled = true;
                }
                assertThat(wasKilled)
                        .as(
                                "the instance was killed while encoding; its log:%n%s",
                                Files.readString(dir.resolve("a.log")))
                        .isTrue();

                Map<Long, Integer> codes = drainCodes(bootstrap, topics.codes());
                assertThat(codes).as("one codes record per activation batch").hasSize(RECORDS);
                assertThat(codes.values()).as("no batch encoded twice").containsOnly(1);

                long[] counted = {0};
                assertThat(
                                Wait.until(
                                        Duration.ofSeconds(120),
                                        Duration.ZERO,
                                        () ->
                                                (counted[0] =
                                                                latestState(
                                                                                bootstrap,
                                                                                topics.saeState())
                                                                        .getTokens())
                                                        == (long) RECORDS * ROWS_PER_RECORD))
                        .as("the statistics counted every token")
                        .isTrue();
                assertThat(counted[0])
                        .as("tokens the statistics counted")
                        .isEqualTo((long) RECORDS * ROWS_PER_RECORD);
            } finally {
                killed.destroyForcibly();
            }
        }
    }

    /**
     * Codes records per batch sequence, read with read_committed until all arrived and a quiet
     * spell passed.
     */
    private static Map<Long, Integer> drainCodes(String bootstrap, String topic) {
        AvroSerde<FeatureCodes> serde = new AvroSerde<>(FeatureCodes.class);
        Map<Long, Integer> counts = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.read(
                        bootstrap,
                        topic,
                        true,
                        RECORDS,
                        Duration.ofSeconds(180),
                        Duration.ofSeconds(5))) {
            counts.merge(serde.fromBytes(r.value()).getSequence(), 1, Integer::sum);
        }
        return counts;
    }

    private static SaeState latestState(String bootstrap, String topic) {
        AvroSerde<SaeState> serde = new AvroSerde<>(SaeState.class);
        List<ConsumerRecord<byte[], byte[]>> records =
                TopicReader.readFor(bootstrap, topic, true, Duration.ofSeconds(3));
        return records.isEmpty()
                ? SaeState.newBuilder()
                        .setSaeId("")
                        .setVersion(0)
                        .setD(0)
                        .setTokens(0)
                        .setDeadPct(0)
                        .setRarePct(0)
                        .setL0(0)
                        .setDensityHistogram(List.of())
                        .setUpdatedAtMs(0)
                        .build()
                : serde.fromBytes(records.get(records.size() - 1).value());
    }
}
