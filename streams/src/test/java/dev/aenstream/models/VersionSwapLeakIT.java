package dev.aenstream.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.monitor.AlertPublisher;
import dev.aenstream.monitor.FollowerAlerts;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.Wait;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;

/**
 * The bounded leak test of the long soak: an encoder's follower swaps in 1,000 versions, each an
 * ONNX session, a spool and a registry entry; afterwards it holds the threads, open files and live
 * heap it held before them, and only the served session stays open.
 */
class VersionSwapLeakIT {
    private static final int WARM_UP = 50;
    private static final int SWAPS = 1_000;
    private static final int N = 8;
    private static final int D = 16;
    private static final long HEAP_SLACK_BYTES = 32L << 20;
    private static final int THREAD_SLACK = 2;
    private static final int FILE_SLACK = 8;

    @Test
    void athousandSwapsLeaveNoThreadFileSessionOrHeapBehind() throws Exception {
        Topics topics = new Topics("leak.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1);
                Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
            admin.createTopics(
                            List.of(
                                    new NewTopic(topics.models(), 1, (short) 1)
                                            .configs(Map.of("cleanup.policy", "compact")),
                                    new NewTopic(topics.alerts(), 1, (short) 1)))
                    .all()
                    .get();
            KafkaConnection kafka = KafkaConnection.of(cluster.bootstrapServers());
            byte[] graph =
                    EncoderGraph.build(
                                    SaeParameters.initialise(N, D, 3),
                                    new EncoderSpec(4, false),
                                    "s")
                            .toByteArray();
            SaeRegistry registry = new SaeRegistry();
            try (ModelPublisher publisher = new ModelPublisher(kafka, topics.models());
                    AlertPublisher alerts = new AlertPublisher(kafka, topics.alerts());
                    ModelFollower follower =
                            new ModelFollower(
                                    kafka,
                                    topics,
                                    registry,
                                    new FollowerAlerts(alerts),
                                    N,
                                    ModelTrust.anyVersion(),
                                    Device.CPU,
                                    1)) {
                follower.retireAfter(Duration.ofMillis(100));
                follower.start();
                publish(publisher, graph, 1, WARM_UP);
                awaitServed(registry, WARM_UP);
                long loadedBefore = follower.versionsLoaded();
                Footprint before = Footprint.settled(follower);

                publish(publisher, graph, WARM_UP + 1, WARM_UP + SWAPS);
                awaitServed(registry, WARM_UP + SWAPS);
                Footprint after = Footprint.settled(follower);

                System.out.printf(
                        "%d versions swapped in: before %s, after %s%n",
                        follower.versionsLoaded() - loadedBefore, before, after);
                // A follower that finds several versions in one poll serves the newest of them.
                assertThat(follower.versionsLoaded() - loadedBefore)
                        .as("versions swapped in")
                        .isGreaterThanOrEqualTo(SWAPS / 2);

                assertThat(after.openSessions).as("ONNX sessions open").isEqualTo(1);
                assertThat(after.threads)
                        .as("threads after %d swaps (before: %d)", SWAPS, before.threads)
                        .isLessThanOrEqualTo(before.threads + THREAD_SLACK);
                assertThat(after.openFiles)
                        .as("open files after %d swaps (before: %d)", SWAPS, before.openFiles)
                        .isLessThanOrEqualTo(before.openFiles + FILE_SLACK);
                assertThat(after.liveHeap)
                        .as("live heap after %d swaps (before: %,d bytes)", SWAPS, before.liveHeap)
                        .isLessThanOrEqualTo(before.liveHeap + HEAP_SLACK_BYTES);
            }
        }
    }

    private static void publish(ModelPublisher publisher, byte[] graph, long from, long to)
            throws Exception {
        for (long v = from; v <= to; v++)
            publisher.publish(
                    new ModelPublisher.Version(
                            "s", v, "aen", N, D, 4, Normalisation.NONE, Map.of()),
                    graph);
    }

    private static void awaitServed(SaeRegistry registry, long version) throws Exception {
        assertThat(Wait.until(Duration.ofSeconds(240), () -> registry.version("s") == version))
                .as("the follower serves version %d (serves: %d)", version, registry.version("s"))
                .isTrue();
    }

    /** What the process holds once replaced sessions are retired and the heap collected. */
    private record Footprint(int openSessions, int threads, long openFiles, long liveHeap) {
        static Footprint settled(ModelFollower follower) throws Exception {
            assertThat(Wait.until(Duration.ofSeconds(30), () -> follower.openEncoders() == 1))
                    .as("replaced sessions retired (open: %d)", follower.openEncoders())
                    .isTrue();
            long heap = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                System.gc();
                heap =
                        Math.min(
                                heap,
                                ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            }
            return new Footprint(
                    follower.openEncoders(),
                    ManagementFactory.getThreadMXBean().getThreadCount(),
                    countOpenFiles(),
                    heap);
        }

        private static long countOpenFiles() throws IOException {
            try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
                return fds.count();
            }
        }
    }
}
