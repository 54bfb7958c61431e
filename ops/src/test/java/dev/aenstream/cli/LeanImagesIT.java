package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.testkit.Wait;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import dev.aenstream.topics.TopicSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The encoder and trainer images' libraries (target/image-*, as the Dockerfile copies them) run
 * their command against a real broker with nothing else on the class path: no broker, Scala,
 * MiniLM, text sample, PKI tooling or second logging backend among them.
 */
class LeanImagesIT {
    private static final Path TARGET = Path.of("target").toAbsolutePath();
    private static final int N = 16;
    private static final int ROWS = 64;

    /** Jars only the demo, the embedded broker, the lab or the keys command need. */
    private static final List<String> LEFT_OUT =
            List.of(
                    "kafka_2.13-",
                    "kafka-server-",
                    "scala-library-",
                    "langchain4j-",
                    "lucene-test-framework-",
                    "tokenizers-",
                    "bcprov-",
                    "log4j-core-",
                    "jfreechart-");

    @TempDir Path dir;

    @Test
    void theEncoderImageEncodesAndNeedsABrokerGiven() throws Exception {
        Path lib = TARGET.resolve("image-encoder/lib");
        assertThat(jars(lib)).noneMatch(j -> LEFT_OUT.stream().anyMatch(j::startsWith));
        assertThat(jars(lib))
                .filteredOn(j -> j.startsWith("rocksdbjni-"))
                .singleElement()
                .asString()
                .endsWith("-linux64.jar");
        Topics topics = new Topics("lean.");
        try (EmbeddedBroker broker = EmbeddedBroker.start(0, dir.resolve("kafka"))) {
            provision(broker, topics);
            Process encoder =
                    aen(
                            lib,
                            "encode",
                            "--bootstrap-server",
                            broker.bootstrapServers(),
                            "--topic-prefix",
                            topics.prefix(),
                            "--n",
                            Integer.toString(N),
                            "--untrained",
                            "--d-sae",
                            "32",
                            "--application-id",
                            "lean-encode",
                            "--state-dir",
                            dir.resolve("state").toString(),
                            "--stream-threads",
                            "1",
                            "--http-port",
                            "-1",
                            "--duration",
                            "120");
            try {
                KafkaConnection kafka = KafkaConnection.of(broker.bootstrapServers());
                publish(kafka, topics, 5);
                assertThat(
                                Wait.until(
                                        Duration.ofSeconds(90),
                                        () ->
                                                TopicSnapshot.read(kafka, topics.codes()).size()
                                                        >= 5))
                        .as("codes of the 5 records, from the encoder image (log: %s)", log(lib))
                        .isTrue();
            } finally {
                encoder.destroy();
                encoder.waitFor(30, TimeUnit.SECONDS);
            }
        }
        Process alone = aen(lib, "encode", "--untrained", "--n", "16", "--http-port", "-1");
        assertThat(alone.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(alone.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log(lib)))
                .contains("no embedded Kafka broker")
                .contains("--bootstrap-server");
        List<String> left;
        try (Stream<Path> files = Files.list(tmp())) {
            left = files.map(f -> f.getFileName().toString()).toList();
        }
        assertThat(left)
                .as("the broker's data folder, made before its jars were found missing")
                .noneMatch(f -> f.startsWith("aen-kafka-"));
        assertThat(left)
                .as("ONNX Runtime's own copy of its libraries, made in each process")
                .noneMatch(f -> f.startsWith("onnxruntime-java"));
    }

    @Test
    void theTrainerImageTrainsAndPublishesWithoutKafkaStreams() throws Exception {
        Path lib = TARGET.resolve("image-trainer/lib");
        assertThat(jars(lib)).noneMatch(j -> LEFT_OUT.stream().anyMatch(j::startsWith));
        assertThat(jars(lib))
                .noneMatch(j -> j.startsWith("kafka-streams-") || j.startsWith("rocksdbjni-"));
        Topics topics = new Topics("leant.");
        try (EmbeddedBroker broker = EmbeddedBroker.start(0, dir.resolve("kafka"))) {
            provision(broker, topics);
            KafkaConnection kafka = KafkaConnection.of(broker.bootstrapServers());
            publish(kafka, topics, 20);
            // Rows keep coming (a record every 20 ms: enough to keep the trainer stepping, not so
            // many that this test starves the other fork's), so the stop below lands while the
            // trainer is at work.
            AtomicBoolean publishing = new AtomicBoolean(true);
            CompletableFuture<Void> more =
                    CompletableFuture.runAsync(
                            () -> {
                                float[] x = new float[ROWS * N];
                                SplittableRandom random = new SplittableRandom(5);
                                try (ActivationPublisher publisher =
                                        new ActivationPublisher(
                                                kafka,
                                                PublisherConfig.of(
                                                                topics.activations(),
                                                                "m",
                                                                "h",
                                                                "lean-more")
                                                        .with(
                                                                PublisherConfig.ROWS_PER_RECORD,
                                                                ROWS))) {
                                    while (publishing.get()) {
                                        for (int i = 0; i < x.length; i++)
                                            x[i] = (float) random.nextGaussian();
                                        publisher.publish(x, ROWS, N);
                                        Thread.sleep(20);
                                    }
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            });
            Process trainer =
                    aen(
                            lib,
                            "train",
                            "--source",
                            "kafka",
                            "--bootstrap-server",
                            broker.bootstrapServers(),
                            "--topic-prefix",
                            topics.prefix(),
                            "--n",
                            Integer.toString(N),
                            "--sae",
                            "lean:l1,d_sae=32",
                            "--batch",
                            Integer.toString(ROWS),
                            "--publish-every",
                            "5",
                            "--idle-exit",
                            "10",
                            "--http-port",
                            "-1");
            try {
                assertThat(
                                Wait.until(
                                        Duration.ofSeconds(90),
                                        () ->
                                                ModelRecords.newestVersions(kafka, topics.models())
                                                        .containsKey("lean")))
                        .as("a version from the trainer image (log: %s)", log(lib))
                        .isTrue();
                // SIGTERM, as Kubernetes stops a pod: the loop ends with a checkpoint and the
                // process exits normally. On main the JVM's shutdown began at once, and ONNX
                // Runtime's own hook freed its environment under the running step (SIGSEGV).
                trainer.destroy();
                assertThat(trainer.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(trainer.exitValue()).as("log: %s", log(lib)).isZero();
                assertThat(Files.readString(log(lib)))
                        .contains("SIGTERM: finishing the work in hand")
                        .doesNotContain("A fatal error has been detected");
            } finally {
                publishing.set(false);
                trainer.destroyForcibly();
                trainer.waitFor(30, TimeUnit.SECONDS);
                more.join();
            }
        }
    }

    private static void provision(EmbeddedBroker broker, Topics topics) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker());
        }
    }

    private static void publish(KafkaConnection kafka, Topics topics, int records)
            throws Exception {
        SplittableRandom random = new SplittableRandom(3);
        float[] x = new float[ROWS * N];
        try (ActivationPublisher publisher =
                new ActivationPublisher(
                        kafka,
                        PublisherConfig.of(topics.activations(), "m", "h", "lean")
                                .with(PublisherConfig.ROWS_PER_RECORD, ROWS))) {
            for (int r = 0; r < records; r++) {
                for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
                publisher.publish(x, ROWS, N);
            }
            publisher.flush();
        }
    }

    /** aen on the image's class path (ops' own classes and {@code lib}), its output in a log. */
    private Process aen(Path lib, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        // A child that dies writes its error file here, not into the module's source tree.
        command.add("-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"));
        // Its temporary folders here, where this test sees what it leaves.
        command.add("-Djava.io.tmpdir=" + Files.createDirectories(tmp()));
        command.add("-cp");
        command.add(TARGET.resolve("classes") + java.io.File.pathSeparator + lib + "/*");
        command.add("dev.aenstream.cli.Aen");
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(lib).toFile()))
                .start();
    }

    private Path tmp() {
        return dir.resolve("tmp");
    }

    private Path log(Path lib) {
        return dir.resolve(lib.getParent().getFileName() + ".log");
    }

    private static List<String> jars(Path lib) throws IOException {
        try (Stream<Path> files = Files.list(lib)) {
            return files.map(f -> f.getFileName().toString()).toList();
        }
    }
}
