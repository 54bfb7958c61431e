package dev.aenstream.broker;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.node.TemporaryState;
import dev.aenstream.topics.ComponentAcls;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka (KRaft, broker and controller in one process) for running without a
 * cluster. Its data directory is formatted on first use and reused afterwards.
 */
public final class EmbeddedBroker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
    private static final int NODE_ID = 1;
    private static final String CONTROLLER = "CONTROLLER";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final int FREE_PORT_ATTEMPTS = 100;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path dataDir;

    /** The data folder when it is a temporary one, removed on close; null when it is the user's. */
    private final TemporaryState temporary;

    private final BrokerSecurity security;

    private EmbeddedBroker(
            KafkaRaftServer server,
            String bootstrapServers,
            Path dataDir,
            TemporaryState temporary,
            BrokerSecurity security) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.dataDir = dataDir;
        this.temporary = temporary;
        this.security = security;
    }

    /**
     * Starts a plaintext broker on {@code port} (0 picks a free one) storing its data in {@code
     * dataDir} (null: a temporary directory removed on close), and waits until it answers.
     */
    public static EmbeddedBroker start(int port, Path dataDir) throws Exception {
        return start(port, dataDir, false);
    }

    /**
     * Starts a broker as {@link #start(int, Path)} does; when {@code secure}, its client listener
     * speaks SASL_SSL (SCRAM-SHA-512 over TLS with certificates made for it), its controller
     * listener TLS with client certificates, and an ACL authoriser allows nothing that no ACL
     * grants ({@link BrokerSecurity}, docs/security.md).
     */
    public static EmbeddedBroker start(int port, Path dataDir, boolean secure) throws Exception {
        if (port != 0) {
            reserve(port);
        }
        return start(Node.single(port == 0 ? freePort() : port, freePort()), dataDir, secure, null);
    }

    /**
     * One node (broker and controller) of a KRaft quorum: its id, its client and controller ports,
     * the quorum's voters ({@code id@host:port,...}), the cluster's id, the replication its
     * internal topics get, and the client port it tells clients and other brokers to use (0: its
     * own; another when a proxy stands in front of it).
     */
    public record Node(
            int nodeId,
            int port,
            int controllerPort,
            String voters,
            String clusterId,
            short replication,
            int advertisedPort) {
        /** A node reached at its own client port. */
        public Node(
                int nodeId,
                int port,
                int controllerPort,
                String voters,
                String clusterId,
                short replication) {
            this(nodeId, port, controllerPort, voters, clusterId, replication, 0);
        }

        /** The only node of a one-node cluster with a fresh id. */
        static Node single(int port, int controllerPort) {
            return new Node(
                    NODE_ID,
                    port,
                    controllerPort,
                    NODE_ID + "@localhost:" + controllerPort,
                    Uuid.randomUuid().toString(),
                    (short) 1);
        }
    }

    /** Starts {@code node} of a quorum (plaintext), its data in {@code dataDir}. */
    public static EmbeddedBroker start(Node node, Path dataDir) throws Exception {
        return start(node, dataDir, false, null);
    }

    /**
     * Starts {@code node} of a secure quorum, its data in {@code dataDir}; every node is given the
     * same {@code securityDir} (made by the first to find it missing), whose certificate and
     * passwords they all use.
     */
    public static EmbeddedBroker startSecure(Node node, Path dataDir, Path securityDir)
            throws Exception {
        return start(node, dataDir, true, securityDir);
    }

    /** {@code securityDir} null: the data directory's own. */
    private static EmbeddedBroker start(Node node, Path dataDir, boolean secure, Path securityDir)
            throws Exception {
        if (dataDir != null)
            return start(node, dataDir.toAbsolutePath(), null, secure, securityDir);
        TemporaryState temporary = TemporaryState.create("aen-kafka-");
        try {
            return start(node, temporary.dir(), temporary, secure, securityDir);
        } catch (Exception | Error e) {
            // An Error too: where the server jars are left out (lean images) the first broker
            // class fails to load, after the folder was made.
            temporary.close();
            throw e;
        }
    }

    private static EmbeddedBroker start(
            Node node, Path dir, TemporaryState temporary, boolean secure, Path securityDir)
            throws Exception {
        Path logs = dir.resolve("kafka-logs");
        Files.createDirectories(logs);
        int brokerPort = node.port();
        int controllerPort = node.controllerPort();
        BrokerSecurity security =
                secure
                        ? BrokerSecurity.in(
                                securityDir != null ? securityDir : dir.resolve("security"))
                        : null;
        String clientListener = secure ? "SASL_SSL" : "PLAINTEXT";
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(node.nodeId()));
        props.put("controller.quorum.voters", node.voters());
        props.put(
                "listeners",
                clientListener
                        + "://localhost:"
                        + brokerPort
                        + ","
                        + CONTROLLER
                        + "://localhost:"
                        + controllerPort);
        props.put(
                "advertised.listeners",
                clientListener
                        + "://localhost:"
                        + (node.advertisedPort() > 0 ? node.advertisedPort() : brokerPort));
        props.put("controller.listener.names", CONTROLLER);
        props.put(
                "listener.security.protocol.map",
                clientListener
                        + ":"
                        + clientListener
                        + ","
                        + CONTROLLER
                        + ":"
                        + (secure ? "SSL" : "PLAINTEXT"));
        props.put("inter.broker.listener.name", clientListener);
        if (secure) props.putAll(security.brokerSettings());
        props.put("log.dirs", logs.toString());
        props.put("num.partitions", "4");
        props.put("auto.create.topics.enable", "false");
        props.put("message.max.bytes", Integer.toString(Topics.MAX_MESSAGE_BYTES));
        // Internal topics on every node up to the quorum's size; one may be lost where there are
        // three.
        String replicas = Short.toString(node.replication());
        String minIsr = Integer.toString(Math.max(1, node.replication() - 1));
        props.put("default.replication.factor", replicas);
        props.put("min.insync.replicas", minIsr);
        props.put("offsets.topic.replication.factor", replicas);
        props.put("offsets.topic.num.partitions", "4");
        props.put("transaction.state.log.replication.factor", replicas);
        props.put("transaction.state.log.min.isr", minIsr);
        props.put("transaction.state.log.num.partitions", "4");
        props.put("share.coordinator.state.topic.replication.factor", replicas);
        props.put("share.coordinator.state.topic.min.isr", minIsr);
        props.put("group.initial.rebalance.delay.ms", "0");
        // Deleted topics leave at once: their unwritten pages are dropped instead of flushed a
        // minute
        // later (a single local broker has no replica that could still be reading them).
        props.put("log.segment.delete.delay.ms", "1000");
        KafkaConfig config = KafkaConfig.fromProps(props, false);

        if (!Files.exists(logs.resolve("meta.properties"))) {
            String clusterId = node.clusterId();
            new Formatter()
                    .setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setClusterId(clusterId)
                    .setNodeId(node.nodeId())
                    .setDirectories(List.of(logs.toString()))
                    .setMetadataLogDirectory(logs.toString())
                    .setControllerListenerName(CONTROLLER)
                    .setReleaseVersion(MetadataVersion.latestProduction())
                    .setScramArguments(secure ? security.scramArguments() : List.of())
                    .run();
            LOG.info("formatted node {} of cluster {} in {}", node.nodeId(), clusterId, logs);
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        String bootstrap = "localhost:" + brokerPort;
        EmbeddedBroker broker = new EmbeddedBroker(server, bootstrap, dir, temporary, security);
        try {
            broker.awaitReady();
        } catch (Exception e) {
            broker.close();
            throw e;
        }
        LOG.info(
                "embedded Kafka broker ready at {}{} (data in {})",
                bootstrap,
                secure
                        ? " (SASL_SSL, SCRAM-SHA-512, ACLs; security in " + security.dir() + ")"
                        : "",
                dir);
        return broker;
    }

    /** Whether clients must authenticate (SASL_SSL and ACLs). */
    public boolean secure() {
        return security != null;
    }

    /** The broker's security: its CA, principals and their client settings; null when plaintext. */
    public BrokerSecurity security() {
        return security;
    }

    /**
     * How {@code principal} connects: its SCRAM credentials over TLS on a secure broker (one of
     * {@link BrokerSecurity#ADMIN} and {@link BrokerSecurity#COMPONENTS}), plaintext otherwise.
     */
    public KafkaConnection connection(String principal) {
        return security == null
                ? KafkaConnection.of(bootstrapServers)
                : new KafkaConnection(bootstrapServers, security.clientProperties(principal));
    }

    /** The super user's connection: what provisions topics and ACLs. */
    public KafkaConnection adminConnection() {
        return connection(BrokerSecurity.ADMIN);
    }

    /**
     * Grants each component, as the user of its own name, the ACLs {@link ComponentAcls} lists for
     * encoders of {@code applicationId} and a trainer in {@code trainerGroup} (both prefixes);
     * returns how many. A plaintext broker authorises nothing, so it grants none.
     */
    public int grant(Topics topics, String applicationId, String trainerGroup) throws Exception {
        if (!secure()) return 0;
        try (Admin admin = Admin.create(adminConnection().client())) {
            return new ComponentAcls(
                            topics, ComponentAcls.principals(Map.of()), applicationId, trainerGroup)
                    .create(admin)
                    .size();
        }
    }

    private void awaitReady() throws Exception {
        try (Admin admin = Admin.create(adminConnection().client())) {
            admin.describeCluster().nodes().get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /**
     * A port nothing listens on now and that this JVM has not handed out or {@linkplain #reserve
     * reserved} before, for a broker or controller listener. The operating system hands a closed
     * socket's port out again soon, so without this memory two listeners of one broker could be
     * given the same port.
     */
    public static int freePort() throws IOException {
        for (int attempt = 0; attempt < FREE_PORT_ATTEMPTS; attempt++) {
            try (ServerSocket socket = new ServerSocket(0)) {
                socket.setReuseAddress(true);
                if (HANDED_OUT.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            }
        }
        throw new IOException(
                "no free port unused by this JVM after " + FREE_PORT_ATTEMPTS + " attempts");
    }

    /** Marks a port chosen elsewhere as taken, so {@link #freePort} never hands it out. */
    public static void reserve(int port) {
        HANDED_OUT.add(port);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        if (temporary != null) {
            try {
                temporary.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
