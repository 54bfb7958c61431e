package dev.aenstream.cli;

import dev.aenstream.avro.Topics;
import dev.aenstream.broker.BrokerSecurity;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.cli.options.DashboardOptions;
import dev.aenstream.cli.options.MetricsOptions;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.online.OnlineTrainerConfig;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs a real single-node KRaft broker in this process until interrupted. */
@Command(
        name = "broker",
        mixinStandardHelpOptions = true,
        description = {
            "Run a single-node Kafka broker (KRaft: broker and controller in one process) until"
                    + " Ctrl-C. Prints the bootstrap servers to pass to other commands with"
                    + " --bootstrap-servers."
        })
final class BrokerCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin MetricsOptions metrics;
    @picocli.CommandLine.Mixin DashboardOptions dashboard;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            description = "Client port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port = 9092;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description =
                    "Where the broker keeps its logs; formatted on first use, reused afterwards"
                            + " (default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of("data/kafka");

    @Option(
            names = "--secure",
            description =
                    "Speak SASL_SSL (SCRAM-SHA-512 over TLS, certificates made for this broker) and"
                            + " authorise with ACLs. Writes a client settings file per principal"
                            + " (admin, producer, encoder, trainer, dashboard) under DIR/security"
                            + " for --command-config, and grants the components the ACLs of the"
                            + " default application id and trainer group (docs/security.md).")
    boolean secure;

    @Option(
            names = "--security-dir",
            paramLabel = "DIR",
            description =
                    "With --secure and --voters: the folder of credentials every node of the"
                            + " quorum shares (CA, broker certificate, the principals' passwords"
                            + " and client settings files), made by the first node that finds it"
                            + " missing. A single node keeps them under --data-dir/security.")
    Path securityDir;

    @Option(
            names = "--voters",
            paramLabel = "ID@HOST:PORT,...",
            description =
                    "Run one node of a multi-node quorum with these controller voters (each node"
                        + " broker and controller); needs --node-id, --controller-port and"
                        + " --cluster-id, the same voters and cluster id on every node. Internal"
                        + " topics get one replica per voter. Default: a single-node cluster.")
    String voters;

    @Option(
            names = "--node-id",
            paramLabel = "ID",
            description = "This node's id among the --voters (default: ${DEFAULT-VALUE}).")
    int nodeId = 1;

    @Option(
            names = "--controller-port",
            paramLabel = "PORT",
            description = "This node's controller port, as named in --voters.")
    Integer controllerPort;

    @Option(
            names = "--advertised-port",
            paramLabel = "PORT",
            description =
                    "With --voters: the client port this node tells clients and the other"
                            + " brokers to connect to, when a proxy on localhost stands in front"
                            + " of it (default: --port).")
    int advertisedPort;

    @Option(
            names = "--cluster-id",
            paramLabel = "ID",
            description =
                    "The cluster's id (22 characters of URL-safe Base64), the same on every node;"
                            + " used when the data directory is formatted.")
    String clusterId;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535)
            throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        if (voters != null) return quorumNode();
        if (securityDir != null)
            throw new IllegalArgumentException(
                    "--security-dir is for the nodes of a quorum (--voters); a single node keeps"
                            + " its credentials under --data-dir/security");
        CountDownLatch stopped = new CountDownLatch(1);
        try (AutoCloseable endpoint = metrics.start(dashboard);
                EmbeddedBroker broker = EmbeddedBroker.start(port, dataDir, secure);
                AutoCloseable web =
                        dashboard.start(
                                secured(broker).connection("dashboard"),
                                new dev.aenstream.avro.Topics(
                                        dev.aenstream.avro.Topics.DEFAULT_PREFIX))) {
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(stopped::countDown, "aen-broker-shutdown"));
            System.out.println("bootstrap.servers=" + broker.bootstrapServers());
            if (secure) {
                System.out.println(
                        "SASL_SSL with SCRAM-SHA-512 and ACLs; client settings for"
                                + " --command-config:");
                for (String p : BrokerSecurity.principals())
                    System.out.printf("  %-9s %s%n", p, broker.security().writeClientConfig(p));
                System.out.println(
                        "  and NAME-plain.properties beside each, the same login over PLAIN inside"
                                + " TLS, for librdkafka before 2.6.1 (Debian's Python client)");
            }
            System.out.println("data in " + broker.dataDir() + "; Ctrl-C stops the broker");
            System.out.flush();
            stopped.await();
        }
        return 0;
    }

    /**
     * {@code broker}, with the topic set created and the components granted the ACLs of the default
     * application id and trainer group when it is secure.
     */
    private static EmbeddedBroker secured(EmbeddedBroker broker) throws Exception {
        if (!broker.secure()) return broker;
        Topics topics = new Topics(Topics.DEFAULT_PREFIX);
        try (Admin admin = Admin.create(broker.adminConnection().client())) {
            TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker());
        }
        broker.grant(
                topics,
                EncodeConfig.APPLICATION_ID.defaultValue(),
                OnlineTrainerConfig.GROUP_ID.defaultValue());
        return broker;
    }

    /** One node of a multi-node quorum, secure or plaintext, until interrupted. */
    private int quorumNode() throws Exception {
        if (secure && securityDir == null)
            throw new IllegalArgumentException(
                    "--secure with --voters needs --security-dir: one folder of credentials that"
                            + " every node of the quorum is given");
        if (!secure && securityDir != null)
            throw new IllegalArgumentException("--security-dir needs --secure");
        if (controllerPort == null || clusterId == null)
            throw new IllegalArgumentException("--voters needs --controller-port and --cluster-id");
        String[] all = voters.split(",");
        boolean listed = false;
        for (String v : all) listed |= v.startsWith(nodeId + "@");
        if (!listed)
            throw new IllegalArgumentException(
                    "--node-id " + nodeId + " is not among --voters " + voters);
        var node =
                new EmbeddedBroker.Node(
                        nodeId,
                        port,
                        controllerPort,
                        voters,
                        clusterId,
                        (short) all.length,
                        advertisedPort);
        CountDownLatch stopped = new CountDownLatch(1);
        try (AutoCloseable endpoint = metrics.start(dashboard);
                EmbeddedBroker broker =
                        secure
                                ? EmbeddedBroker.startSecure(node, dataDir, securityDir)
                                : EmbeddedBroker.start(node, dataDir)) {
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(stopped::countDown, "aen-broker-shutdown"));
            System.out.printf(
                    "node %d of %s ready: bootstrap.servers=%s; data in %s%n",
                    nodeId, voters, broker.bootstrapServers(), broker.dataDir());
            if (secure) {
                for (String p : BrokerSecurity.principals()) broker.security().writeClientConfig(p);
                System.out.printf(
                        "SASL_SSL with SCRAM-SHA-512 and ACLs; client settings per principal for"
                                + " --command-config in %s; create topics and ACLs with `aen"
                                + " topics --acls` as admin%n",
                        broker.security().dir());
            }
            System.out.flush();
            stopped.await();
        }
        return 0;
    }
}
