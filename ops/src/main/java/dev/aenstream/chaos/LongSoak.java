package dev.aenstream.chaos;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.models.ModelSigning;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;

/**
 * The long soak: one broker in this process; the trainer of two SAEs (signing a version of each
 * about every minute), an encoder with its monitor following them, and a producer serving the
 * dashboard, each a child JVM; dashboard clients come and go. Every sample it measures each child's
 * live heap, resident memory, threads and open files, and at the end it reports each one's trend
 * per hour, the versions swapped and whether every process lived to the end.
 */
public final class LongSoak {
    static final String PREFIX = "soak.";
    static final List<String> SAES = List.of("a:aen", "b:l1");
    private static final Duration READY = Duration.ofSeconds(180);
    private static final String CHILD_HEAP = "768m";
    private static final int PARTITIONS = 2;

    private final SoakSettings settings;
    private final Consumer<String> progress;
    private final Topics topics = new Topics(PREFIX);
    private final Map<String, Child> children = new LinkedHashMap<>();

    public LongSoak(SoakSettings settings, Consumer<String> progress) {
        this.settings = settings;
        this.progress = progress;
    }

    /** Runs the soak and returns its figures (the summary's fields). */
    public Map<String, Object> run() throws Exception {
        Path work = settings.workDir().toAbsolutePath();
        Files.createDirectories(work);
        long began = System.nanoTime();
        try (EmbeddedBroker broker =
                EmbeddedBroker.start(EmbeddedBroker.freePort(), work.resolve("broker"))) {
            String bootstrap = broker.bootstrapServers();
            KafkaConnection kafka = KafkaConnection.of(bootstrap);
            try (Admin admin = ClusterProbe.admin(kafka)) {
                TopicProvisioner.ensure(
                        admin,
                        topics,
                        new TopicSettings(PARTITIONS, TopicSettings.DEFAULT_REPLICATION_FACTOR));
            }
            List<Path> keys =
                    ModelSigning.write(ModelSigning.generate(), work.resolve("keys/soak"));
            String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
            Path tokenFile = Files.writeString(work.resolve("dashboard.token"), token + "\n");
            int httpPort = EmbeddedBroker.freePort();
            start("trainer", trainerArgs(bootstrap, work, keys.get(0)));
            start("encoder", encoderArgs(bootstrap, work, keys.get(1)));
            start("producer", producerArgs(bootstrap, httpPort, tokenFile));
            String dashboard = "http://127.0.0.1:" + httpPort;
            await("the dashboard", () -> answers(dashboard, token));
            await(
                    "a signed version of every SAE",
                    () ->
                            ModelRecords.newestVersions(kafka, topics.models()).size()
                                    == SAES.size());
            progress.accept(
                    "all running; sampling every "
                            + settings.sampleSeconds()
                            + " s for "
                            + settings.durationSeconds()
                            + " s (logs in "
                            + work
                            + ")");
            try (DashboardClients clients =
                    new DashboardClients(
                            dashboard,
                            token,
                            SAES.stream().map(s -> s.split(":")[0]).toList(),
                            settings.dSae(),
                            1)) {
                clients.start();
                Map<String, ResourceTrend> trends = observe();
                return summary(kafka, trends, clients, began);
            }
        } finally {
            for (Child c : children.values()) c.stop(60);
        }
    }

    /** Samples every child until the duration has passed or one of them died. */
    private Map<String, ResourceTrend> observe() throws InterruptedException {
        Map<String, ResourceTrend> trends = new LinkedHashMap<>();
        Map<String, ProcessProbe> probes = new LinkedHashMap<>();
        for (var c : children.entrySet()) {
            trends.put(c.getKey(), new ResourceTrend(settings.warmUpSeconds()));
            probes.put(c.getKey(), new ProcessProbe(c.getValue().pid()));
        }
        long start = System.nanoTime();
        long every = (long) (settings.sampleSeconds() * 1e9);
        try {
            for (long next = start; ; next += every) {
                double at = (System.nanoTime() - start) / 1e9;
                List<String> line = new ArrayList<>();
                for (var p : probes.entrySet()) {
                    ProcessProbe.Sample s = p.getValue().sample(at);
                    trends.get(p.getKey()).add(s);
                    line.add(
                            String.format(
                                    "%s heap %.1f MiB, rss %.0f MiB, %d threads, %d files",
                                    p.getKey(),
                                    s.liveHeapBytes() / ResourceTrend.MIB,
                                    s.rssBytes() / ResourceTrend.MIB,
                                    s.threads(),
                                    s.openFiles()));
                }
                progress.accept(String.format("%.0f s: %s", at, String.join("; ", line)));
                if (at >= settings.durationSeconds() || !everyChildAlive()) return trends;
                long wait = next + every - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        } finally {
            probes.values().forEach(ProcessProbe::close);
        }
    }

    private Map<String, Object> summary(
            KafkaConnection kafka,
            Map<String, ResourceTrend> trends,
            DashboardClients clients,
            long began)
            throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("duration_s", settings.durationSeconds());
        out.put("sample_every_s", settings.sampleSeconds());
        out.put("warm_up_s", settings.warmUpSeconds());
        List<String> dead = new ArrayList<>();
        for (var c : children.entrySet()) if (!c.getValue().alive()) dead.add(c.getKey());
        out.put("processes_died", dead);
        Map<String, Long> versions = new TreeMap<>();
        for (SaeModel m : ModelRecords.versions(kafka, topics.models()))
            versions.merge(m.getSaeId(), 1L, Long::sum);
        out.put("versions_published", versions);
        out.put("encoder_swaps", swaps(children.get("encoder")));
        out.put("dashboard_requests", clients.requests());
        out.put("dashboard_failures", clients.failures());
        if (clients.failures() > 0) out.put("dashboard_last_failure", clients.lastFailure());
        Map<String, Object> processes = new LinkedHashMap<>();
        for (var t : trends.entrySet()) processes.put(t.getKey(), t.getValue().summary());
        out.put("processes", processes);
        out.put("elapsed_s", Math.round((System.nanoTime() - began) / 1e8) / 10.0);
        out.put("ok", dead.isEmpty() && clients.failures() == 0);
        return out;
    }

    /** Versions the encoder swapped in after its first of each SAE, from its log. */
    private static long swaps(Child encoder) throws java.io.IOException {
        return encoder.latestOutput().lines().filter(l -> l.contains(", replacing v")).count();
    }

    private void start(String name, List<String> args) throws java.io.IOException {
        Child c =
                new Child(
                        name,
                        args,
                        settings.workDir().toAbsolutePath().resolve(name + ".log"),
                        CHILD_HEAP);
        c.start();
        children.put(name, c);
    }

    private List<String> trainerArgs(String bootstrap, Path work, Path signingKey) {
        List<String> args = new ArrayList<>(List.of("train", "--source", "kafka"));
        args.addAll(kafkaArgs(bootstrap));
        args.addAll(
                List.of(
                        "--n", Integer.toString(settings.n()),
                        "--d-sae", Integer.toString(settings.dSae()),
                        "--batch", Integer.toString(settings.batch()),
                        "--publish-every", Long.toString(settings.publishEverySteps()),
                        "--checkpoint-dir", work.resolve("trainer").toString(),
                        "--signing-key", signingKey.toString(),
                        "--http-port", "-1"));
        for (String sae : SAES) {
            args.add("--sae");
            args.add(sae);
        }
        return args;
    }

    private List<String> encoderArgs(String bootstrap, Path work, Path publicKey) {
        List<String> args = new ArrayList<>(List.of("encode"));
        args.addAll(kafkaArgs(bootstrap));
        args.addAll(
                List.of(
                        "--n", Integer.toString(settings.n()),
                        "--state-dir", work.resolve("encoder").toString(),
                        "--trusted-keys", publicKey.toString(),
                        "--wait-for-saes", Integer.toString(SAES.size()),
                        "--http-port", "-1"));
        return args;
    }

    private List<String> producerArgs(String bootstrap, int httpPort, Path tokenFile) {
        List<String> args = new ArrayList<>(List.of("produce", "synthetic"));
        args.addAll(kafkaArgs(bootstrap));
        args.addAll(
                List.of(
                        "--n", Integer.toString(settings.n()),
                        "--rows", "0",
                        "--rate", Double.toString(settings.rowsPerSecond()),
                        "--http-port", Integer.toString(httpPort),
                        "--http-auth-token-file", tokenFile.toString()));
        return args;
    }

    private static List<String> kafkaArgs(String bootstrap) {
        return List.of("--bootstrap-server", bootstrap, "--topic-prefix", PREFIX);
    }

    private boolean everyChildAlive() {
        for (var c : children.entrySet()) {
            if (!c.getValue().alive()) {
                progress.accept(c.getKey() + " died; see " + c.getValue().log());
                return false;
            }
        }
        return true;
    }

    private static boolean answers(String dashboard, String token) {
        try {
            HttpURLConnection c =
                    (HttpURLConnection)
                            URI.create(dashboard + "/api/state").toURL().openConnection();
            c.setRequestProperty("Authorization", "Bearer " + token);
            try {
                return c.getResponseCode() == HttpURLConnection.HTTP_OK;
            } finally {
                c.disconnect();
            }
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private void await(String what, java.util.concurrent.Callable<Boolean> condition)
            throws Exception {
        if (!ClusterProbe.awaitQuietly(() -> everyChildAlive() && condition.call(), READY)
                || !everyChildAlive())
            throw new IllegalStateException(
                    "timed out after "
                            + READY.toSeconds()
                            + " s waiting for "
                            + what
                            + " (logs in "
                            + settings.workDir()
                            + ")");
    }
}
