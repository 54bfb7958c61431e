package dev.aenstream.chaos;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.BrokerSecurity;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.topics.ComponentAcls;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * The chaos soak: three brokers (replication 3, {@code min.insync.replicas} 2), two encoders and
 * the trainer of two SAEs, each a child JVM, and an in-process producer of rows with known ids;
 * every client and the brokers' replication reach a broker through a TCP proxy ({@link
 * NetworkFaults}). For the duration, at seeded random moments, it SIGKILLs an encoder, the trainer
 * or a broker (the active controller every other time), restarting each, or slows, resets or
 * partitions one broker's link, and times the recovery; then it lets the pipeline drain and checks,
 * from what reached Kafka, that nothing was lost, duplicated or wrong ({@link ChaosVerdict}).
 * Secured, every component is its own principal on SASL_SSL brokers; signed, the trainer signs and
 * a forged version is published once the encoders run ({@link SoakAccess}, {@link ForgedVersion}).
 */
public final class ChaosSoak {
    /**
     * One injected fault: what was killed, when (seconds into the soak), how long until it was
     * back.
     */
    public record Fault(String target, double atSeconds, double recoverySeconds) {}

    static final String PREFIX = "chaos.";
    static final String APPLICATION_ID = "chaos-encode";
    static final String GROUP_ID = "chaos-trainer";
    static final Map<String, String> SAES = Map.of("a", "aen", "b", "l1");
    private static final int BROKERS = 3;
    private static final int ENCODERS = 2;

    /** Kinds of fault in turn: kills of an encoder, the trainer, a broker; then the network's. */
    private static final int KILL_KINDS = 3;

    private static final int KINDS = KILL_KINDS + NetworkFaults.Kind.values().length;
    private static final Duration READY = Duration.ofSeconds(180);
    private static final Duration RECOVERY_LIMIT = Duration.ofSeconds(120);

    /** What an encoder prints once its Kafka Streams application runs (EncodeCommand). */
    private static final String RUNNING = "RUNNING:";

    /** What a quorum node prints once it is ready (BrokerCommand). */
    private static final String BROKER_READY = " ready: bootstrap.servers=";

    /**
     * Kafka Streams' default session (45 s) would keep a killed encoder's partitions idle that long
     * before the group moves them; the soak's encoders are missed after the broker's minimum
     * session (6 s).
     */
    private static final List<String> ENCODER_SESSION =
            List.of(
                    "--command-property", "session.timeout.ms=6000",
                    "--command-property", "heartbeat.interval.ms=1500");

    private final ChaosSettings settings;
    private final Consumer<String> progress;
    private final Topics topics = new Topics(PREFIX);
    private final List<Child> brokers = new ArrayList<>();
    private final List<Child> encoders = new ArrayList<>();
    private Child trainer;
    private String bootstrap;
    private NetworkFaults network;

    private SoakAccess access;

    /** The version published under a key nobody trusts, when signed. */
    private SaeModel forged;

    public ChaosSoak(ChaosSettings settings, Consumer<String> progress) {
        this.settings = settings;
        this.progress = progress;
    }

    /** Runs the soak and returns its figures (the summary's fields). */
    public Map<String, Object> run() throws Exception {
        Path work = settings.workDir().toAbsolutePath();
        Files.createDirectories(work);
        long began = System.nanoTime();
        try {
            access = SoakAccess.in(work, settings);
            startBrokers(work);
            KafkaConnection kafka = connection(BrokerSecurity.ADMIN);
            try (Admin admin = ClusterProbe.admin(kafka)) {
                TopicProvisioner.ensure(admin, topics, new TopicSettings(4, (short) BROKERS));
                if (access.secure())
                    new ComponentAcls(
                                    topics,
                                    ComponentAcls.principals(Map.of()),
                                    APPLICATION_ID,
                                    GROUP_ID)
                            .create(admin);
                startTrainer(work);
                await(
                        "the trainer's first versions",
                        READY,
                        () -> publishedSaes(kafka).containsAll(SAES.keySet()));
                RowProducer producer =
                        new RowProducer(
                                connection("producer"),
                                topics.activations(),
                                settings.n(),
                                settings.rowsPerBatch(),
                                settings.batchesPerSecond(),
                                settings.seed());
                producer.start();
                startEncoders(work);
                await(
                        "two encoders in their group",
                        READY,
                        () -> ClusterProbe.members(admin, APPLICATION_ID) == ENCODERS);
                if (settings.signed()) {
                    forged =
                            ForgedVersion.publish(
                                    connection("trainer"),
                                    topics,
                                    new java.util.TreeSet<>(SAES.keySet()).first(),
                                    settings);
                    progress.accept(
                            "published v"
                                    + forged.getVersion()
                                    + " of SAE "
                                    + forged.getSaeId()
                                    + " signed by a key nobody trusts");
                }
                progress.accept(
                        "all running; injecting faults for " + settings.durationSeconds() + " s");
                List<Fault> faults = injectFaults(admin, began);
                producer.close();
                progress.accept(
                        String.format(
                                "producer stopped: %d batches acknowledged, %d failed; draining",
                                producer.acknowledged().size(), producer.failed()));
                return verify(kafka, producer, faults, began);
            }
        } finally {
            for (Child c : encoders) c.stop(30);
            if (trainer != null) trainer.stop(60);
            for (Child c : brokers) c.stop(30);
            if (network != null) network.close();
        }
    }

    private void startBrokers(Path work) throws Exception {
        int[] ports = new int[BROKERS];
        int[] controllers = new int[BROKERS];
        List<String> voters = new ArrayList<>();
        for (int i = 0; i < BROKERS; i++) {
            ports[i] = EmbeddedBroker.freePort();
            controllers[i] = EmbeddedBroker.freePort();
            voters.add((i + 1) + "@localhost:" + controllers[i]);
        }
        network = new NetworkFaults(ports, settings.networkFaultSeconds());
        bootstrap = network.bootstrap();
        String clusterId = Uuid.randomUuid().toString();
        for (int i = 0; i < BROKERS; i++) {
            List<String> args =
                    new ArrayList<>(
                            List.of(
                                    "broker",
                                    "--node-id",
                                    Integer.toString(i + 1),
                                    "--port",
                                    Integer.toString(ports[i]),
                                    "--advertised-port",
                                    Integer.toString(network.advertisedPort(i)),
                                    "--controller-port",
                                    Integer.toString(controllers[i]),
                                    "--voters",
                                    String.join(",", voters),
                                    "--cluster-id",
                                    clusterId,
                                    "--data-dir",
                                    work.resolve("broker-" + (i + 1)).toString()));
            args.addAll(access.broker());
            Child b =
                    new Child(
                            "broker-" + (i + 1),
                            args,
                            work.resolve("broker-" + (i + 1) + ".log"),
                            "768m");
            b.start();
            brokers.add(b);
        }
        try (Admin admin = ClusterProbe.admin(connection(BrokerSecurity.ADMIN))) {
            await("three brokers", READY, () -> ClusterProbe.liveBrokers(admin).size() == BROKERS);
        }
        progress.accept("brokers ready at " + bootstrap);
    }

    private void startTrainer(Path work) throws Exception {
        trainer =
                new Child(
                        "trainer",
                        SoakArguments.trainer(
                                bootstrap,
                                BROKERS,
                                settings,
                                work,
                                GROUP_ID,
                                SAES,
                                access.trainer()),
                        work.resolve("trainer.log"),
                        "768m");
        trainer.start();
    }

    private void startEncoders(Path work) throws Exception {
        for (int i = 0; i < ENCODERS; i++) {
            String name = "encoder-" + (i + 1);
            List<String> args =
                    SoakArguments.encoder(
                            bootstrap,
                            BROKERS,
                            settings,
                            work.resolve(name),
                            APPLICATION_ID,
                            SAES,
                            access.encoder());
            args.addAll(ENCODER_SESSION);
            Child e = new Child(name, args, work.resolve(name + ".log"), "768m");
            e.start();
            encoders.add(e);
        }
    }

    /**
     * Kills and restarts a component, or troubles a broker's link, at seeded random moments until
     * the duration has passed.
     */
    private List<Fault> injectFaults(Admin admin, long began) throws Exception {
        SplittableRandom random = new SplittableRandom(settings.seed());
        List<Fault> faults = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.durationSeconds());
        int brokerFaults = 0;
        while (true) {
            double gap =
                    settings.minGapSeconds()
                            + random.nextDouble()
                                    * (settings.maxGapSeconds() - settings.minGapSeconds());
            if (System.nanoTime() + (long) (gap * 1e9) > end
                    && faults.size() >= settings.minFaults()) break;
            Thread.sleep((long) (gap * 1000));
            // Each fault does its harm and says what it did; then the pipeline must come back.
            Callable<String> inject;
            Callable<Boolean> back;
            switch (faults.size() % KINDS) {
                case 0 -> {
                    Child encoder = encoders.get(random.nextInt(ENCODERS));
                    inject = restart(encoder, encoder.name());
                    // Back: the new process is running and the group holds it and the other.
                    back =
                            () ->
                                    encoder.latestOutput().contains(RUNNING)
                                            && ClusterProbe.members(admin, APPLICATION_ID)
                                                    == ENCODERS;
                }
                case 1 -> {
                    inject = restart(trainer, trainer.name());
                    long metricsBefore = ClusterProbe.endOffset(admin, topics.trainerMetrics());
                    back =
                            () ->
                                    trainer.alive()
                                            && ClusterProbe.endOffset(
                                                            admin, topics.trainerMetrics())
                                                    > metricsBefore;
                }
                case 2 -> {
                    boolean active = brokerFaults++ % 2 == 0;
                    int id = active ? ClusterProbe.controller(admin) : 1 + random.nextInt(BROKERS);
                    Child broker = brokers.get(id - 1);
                    inject =
                            restart(
                                    broker,
                                    broker.name() + (active ? " (the active controller)" : ""));
                    // Back: the new process is ready and every replica is in sync again.
                    back =
                            () ->
                                    broker.latestOutput().contains(BROKER_READY)
                                            && ClusterProbe.underReplicated(admin, topics) == 0;
                }
                default -> {
                    NetworkFaults.Kind kind =
                            NetworkFaults.Kind.values()[faults.size() % KINDS - KILL_KINDS];
                    int i = random.nextInt(BROKERS);
                    inject = () -> network.inject(kind, i, brokers.get(i).name());
                    // Back: every replica is in sync again and the encoders' group is whole.
                    back =
                            () ->
                                    ClusterProbe.underReplicated(admin, topics) == 0
                                            && ClusterProbe.members(admin, APPLICATION_ID)
                                                    == ENCODERS;
                }
            }
            double at = (System.nanoTime() - began) / 1e9;
            String what = inject.call();
            long done = System.nanoTime();
            boolean recovered = ClusterProbe.awaitQuietly(back, RECOVERY_LIMIT);
            double recovery = recovered ? (System.nanoTime() - done) / 1e9 : -1;
            faults.add(new Fault(what, at, recovery));
            progress.accept(
                    String.format(
                            "fault %d at %.0f s: %s, %s",
                            faults.size(),
                            at,
                            what,
                            recovered
                                    ? String.format("back in %.1f s", recovery)
                                    : "not back within " + RECOVERY_LIMIT.toSeconds() + " s"));
        }
        return faults;
    }

    /** SIGKILLs {@code child} and starts it again; says so, naming it {@code name}. */
    private static Callable<String> restart(Child child, String name) {
        return () -> {
            child.kill();
            child.start();
            return "SIGKILL " + name;
        };
    }

    /** Lets the pipeline finish what was produced, then checks it against the producer's ledger. */
    private Map<String, Object> verify(
            KafkaConnection kafka, RowProducer producer, List<Fault> faults, long began)
            throws Exception {
        Set<Long> acked = new HashSet<>(producer.acknowledged());
        CodesLedger ledger = new CodesLedger(SAES.keySet());
        long deadline = System.nanoTime() + READY.toNanos();
        while (!ledger.read(kafka, topics.codes()).completes(acked) && System.nanoTime() < deadline)
            Thread.sleep(3000);
        progress.accept("codes counted; waiting for the trainer to read everything and stop");
        if (!trainer.awaitExit(READY.toSeconds())) trainer.stop(60);
        progress.accept("checking code values, statistics, alerts and versions");
        ChaosVerdict verdict =
                new ChaosVerdict(kafka, topics, access.trust())
                        .figure("duration_s", settings.durationSeconds(), true)
                        .figure("seed", settings.seed(), true)
                        .figure("secure", settings.secure(), true)
                        .figure("signed", settings.signed(), true)
                        .figure("faults_injected", faults.size(), true);
        long notRecovered = faults.stream().filter(f -> f.recoverySeconds() < 0).count();
        verdict.figure("faults_not_recovered", notRecovered, notRecovered == 0)
                .figure(
                        "faults",
                        faults.stream()
                                .map(
                                        f ->
                                                Map.of(
                                                        "target",
                                                        f.target(),
                                                        "at_s",
                                                        round(f.atSeconds()),
                                                        "recovery_s",
                                                        round(f.recoverySeconds())))
                                .toList(),
                        true)
                .figure("batches_produced", acked.size(), true)
                .figure("batches_failed", producer.failed(), true)
                .figure("rows_produced", acked.size() * producer.rowsPerBatch(), true)
                .codes(ledger, acked)
                .training(
                        settings.workDir().toAbsolutePath().resolve("trainer"),
                        SAES.keySet(),
                        acked.size() * producer.rowsPerBatch(),
                        producer.checksum())
                .topics(ledger.servedVersions(), forged)
                .figure("proxy_connections", network.connections(), true)
                .figure("elapsed_s", round((System.nanoTime() - began) / 1e9), true);
        return verdict.summary();
    }

    /** How {@code principal} reaches the brokers. */
    private KafkaConnection connection(String principal) {
        return access.connection(bootstrap, principal);
    }

    private Set<String> publishedSaes(KafkaConnection kafka) {
        return ModelRecords.newestVersions(kafka, topics.models()).keySet();
    }

    private void await(String what, Duration limit, Callable<Boolean> condition) throws Exception {
        if (!ClusterProbe.awaitQuietly(condition, limit))
            throw new IllegalStateException(
                    "timed out after "
                            + limit.toSeconds()
                            + " s waiting for "
                            + what
                            + " (logs in "
                            + settings.workDir()
                            + ")");
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
