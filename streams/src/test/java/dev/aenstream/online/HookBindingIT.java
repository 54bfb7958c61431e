package dev.aenstream.online;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SourceBinding;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeApp;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.node.TrainerNode;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.TopicReader;
import dev.aenstream.testkit.Wait;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
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
 * Two hooks of one model, of the same width, share one activations topic: a trainer bound to one
 * hook learns from its records only, counts the others and publishes versions that name the hook;
 * two served SAEs, each bound to one hook, encode only their hook's records; a record of a source
 * nobody serves goes to the dead letters with the reason.
 */
class HookBindingIT {
    private static final int N = 16;
    private static final int ROWS = 32;
    private static final int RECORDS = 30;

    @TempDir Path stateDir;

    @Test
    void saesTakeOnlyTheRecordsOfTheirHook() throws Exception {
        Topics topics = new Topics("hook.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            TopicProvisioner.ensure(admin, topics, new TopicSettings(1, (short) 1));
            KafkaConnection connection = KafkaConnection.of(cluster.bootstrapServers());
            String bootstrap = cluster.bootstrapServers();

            SaeRegistry registry = new SaeRegistry();
            for (String hook : List.of("blocks.1", "blocks.2")) {
                SaeEncoder encoder =
                        SaeEncoder.open(
                                SaeParameters.initialise(N, 32, hook.hashCode()),
                                new EncoderSpec(32, false),
                                Device.CPU,
                                1);
                registry.put(
                        new ServingSae("sae-" + hook, 1, encoder, "test")
                                .withSource(new SourceBinding("m", hook)));
            }
            TrainConfig base =
                    TrainConfig.synthetic(Penalties.AEN, N, 32).with(TrainConfig.BATCH, 64);
            OnlineTrainerConfig config =
                    OnlineTrainerConfig.builder(topics)
                            .set(OnlineTrainerConfig.GROUP_ID, "hook-trainer")
                            .set(OnlineTrainerConfig.PUBLISH_EVERY, 5)
                            .set(OnlineTrainerConfig.IDLE_EXIT_SECONDS, (8_000) / 1000.0)
                            // The model is left open: the trainer takes the first record's.
                            .source(new SourceBinding(null, "blocks.2"))
                            .build();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            AtomicBoolean stop = new AtomicBoolean();
            try (EncodeApp app =
                            new EncodeApp(
                                    connection,
                                    EncodeConfig.defaults(topics, stateDir)
                                            .withApplicationId("hook-encode"),
                                    registry);
                    TrainerNode trainer =
                            TrainerNode.open(
                                    connection,
                                    config,
                                    List.of(new SaeDefinition("trained", base)),
                                    false,
                                    Device.CPU,
                                    1)) {
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
                publish(connection, topics);
                Future<?> training =
                        pool.submit(
                                () -> {
                                    trainer.run(stop::get);
                                    return null;
                                });
                training.get(2, TimeUnit.MINUTES);

                assertThat(trainer.source()).isEqualTo(new SourceBinding("m", "blocks.2"));
                assertThat(trainer.recordsMismatched())
                        .as("blocks.1 and the other model's")
                        .isEqualTo(RECORDS + 1);
                assertThat(trainer.rowsRead()).isEqualTo((long) RECORDS * ROWS);

                Map<String, Set<String>> producersBySae = new TreeMap<>();
                AvroSerde<FeatureCodes> codes = new AvroSerde<>(FeatureCodes.class);
                for (ConsumerRecord<byte[], byte[]> r :
                        TopicReader.read(
                                bootstrap,
                                topics.codes(),
                                true,
                                2 * RECORDS,
                                Duration.ofSeconds(60),
                                Duration.ofSeconds(2))) {
                    FeatureCodes c = codes.fromBytes(r.value());
                    producersBySae
                            .computeIfAbsent(c.getSaeId(), k -> new TreeSet<>())
                            .add(c.getProducerId().replaceFirst("@.*", ""));
                }
                assertThat(producersBySae)
                        .isEqualTo(
                                Map.of(
                                        "sae-blocks.1", Set.of("p1"),
                                        "sae-blocks.2", Set.of("p2")));
                // Each SAE passed over the other hook's records, and both over the other model's.
                assertThat(
                                Wait.until(
                                        Duration.ofSeconds(30),
                                        () -> app.stats().mismatched() == 2L * RECORDS + 2))
                        .as("passed over: %d", app.stats().mismatched())
                        .isTrue();

                List<ConsumerRecord<byte[], byte[]>> letters =
                        TopicReader.read(
                                bootstrap,
                                topics.dlq(),
                                true,
                                1,
                                Duration.ofSeconds(30),
                                Duration.ofSeconds(1));
                assertThat(letters).hasSize(1);
                DeadLetter letter =
                        new AvroSerde<>(DeadLetter.class).fromBytes(letters.get(0).value());
                assertThat(letter.getReason()).isEqualTo(DeadLetterReason.NO_MATCHING_SAE);
                assertThat(letter.getDetail())
                        .contains("model other, hook blocks.1")
                        .contains("sae-blocks.1 (model m, hook blocks.1)");
            } finally {
                stop.set(true);
                pool.shutdownNow();
            }

            AvroSerde<SaeModel> models = new AvroSerde<>(SaeModel.class);
            SaeModel newest = null;
            for (ConsumerRecord<byte[], byte[]> r :
                    TopicReader.readFor(bootstrap, topics.models(), true, Duration.ofSeconds(3)))
                if (ModelRecords.MODEL.equals(ModelRecords.type(r.headers())))
                    newest = models.fromBytes(r.value());
            assertThat(newest).isNotNull();
            assertThat(newest.getVersion()).isGreaterThan(1);
            assertThat(SourceBinding.of(newest)).isEqualTo(new SourceBinding("m", "blocks.2"));
            // Each version names the one before it and which of its features each continues: a
            // trainer that goes on training keeps every feature at its id.
            assertThat(newest.getLineageFrom()).isEqualTo(newest.getVersion() - 1);
            int[] previous = new int[32];
            newest.getLineage()
                    .duplicate()
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .asIntBuffer()
                    .get(previous);
            for (int j = 0; j < previous.length; j++) assertThat(previous[j]).isEqualTo(j);
        }
    }

    /** Interleaved records of hooks blocks.1 (p1) and blocks.2 (p2), then one of another model. */
    private static void publish(KafkaConnection connection, Topics topics) throws Exception {
        Random random = new Random(5);
        float[] x = new float[ROWS * N];
        try (ActivationPublisher p1 =
                        new ActivationPublisher(
                                connection,
                                PublisherConfig.of(topics.activations(), "m", "blocks.1", "p1")
                                        .with(PublisherConfig.ROWS_PER_RECORD, ROWS));
                ActivationPublisher p2 =
                        new ActivationPublisher(
                                connection,
                                PublisherConfig.of(topics.activations(), "m", "blocks.2", "p2")
                                        .with(PublisherConfig.ROWS_PER_RECORD, ROWS));
                ActivationPublisher other =
                        new ActivationPublisher(
                                connection,
                                PublisherConfig.of(topics.activations(), "other", "blocks.1", "po")
                                        .with(PublisherConfig.ROWS_PER_RECORD, ROWS))) {
            for (int r = 0; r < RECORDS; r++) {
                for (ActivationPublisher p : List.of(p1, p2)) {
                    for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
                    p.publish(x, ROWS, N);
                    p.flush();
                }
            }
            other.publish(x, ROWS, N);
            other.flush();
        }
    }
}
