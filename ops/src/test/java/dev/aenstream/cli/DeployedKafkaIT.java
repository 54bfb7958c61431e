package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.ClusterCredentials;
import dev.aenstream.broker.EmbeddedBroker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.docker.KafkaDockerWrapper$;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The deploy files' Kafka, for real: a broker configured from the Compose file's own settings,
 * turned into server properties by the apache/kafka image's own code, with credentials from {@code
 * aen keys cluster}; the set-up job runs against it and a component is held to its login and ACLs.
 */
class DeployedKafkaIT {
    private static final Path COMPOSE = Path.of("deploy", "docker-compose.yml");

    @TempDir Path dir;

    /** What the commands print, kept to check that no secret is in it. */
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();

    private int aen(String... args) {
        PrintStream out = System.out;
        System.setOut(new PrintStream(printed, true));
        try {
            return Aen.commandLine(new String[0]).execute(args);
        } finally {
            System.setOut(out);
            System.out.print(printed);
        }
    }

    @Test
    void theComposeBrokerSettingsServeTheSetUpJobAndHoldComponentsToTheirAcls() throws Exception {
        Path credentials = dir.resolve("credentials").toAbsolutePath();
        assertThat(
                        aen(
                                "keys",
                                "cluster",
                                "--out",
                                credentials.toString(),
                                "--broker-host",
                                "localhost",
                                "--mount-root",
                                credentials.toString()))
                .isZero();
        int client = EmbeddedBroker.freePort(),
                controller = EmbeddedBroker.freePort(),
                internal = EmbeddedBroker.freePort();
        Properties server =
                serverProperties(
                        credentials.resolve(ClusterCredentials.BROKER),
                        client,
                        controller,
                        internal);
        Path file = dir.resolve("server.properties");
        try (var w = Files.newBufferedWriter(file)) {
            server.store(w, "from " + COMPOSE);
        }
        ByteArrayOutputStream formatted = new ByteArrayOutputStream();
        assertThat(
                        StorageTool.execute(
                                new String[] {
                                    "format", "--cluster-id", clusterId(), "-c", file.toString()
                                },
                                new PrintStream(formatted)))
                .as(formatted.toString())
                .isZero();
        KafkaRaftServer broker =
                new KafkaRaftServer(KafkaConfig.fromProps(server, false), Time.SYSTEM);
        broker.startup();
        try {
            Path admin = credentials.resolve(ClusterCredentials.ADMIN);
            assertThat(
                            aen(
                                    "topics",
                                    "--bootstrap-server",
                                    "localhost:" + internal,
                                    "--command-config",
                                    admin.resolve(ClusterCredentials.CLIENT_CONFIG).toString(),
                                    "--scram-passwords",
                                    admin.toString(),
                                    "--acls",
                                    "--partitions",
                                    "1",
                                    "--replication-factor",
                                    "1"))
                    .as("the set-up job, a super user by its certificate")
                    .isZero();

            try (var secrets = Files.list(admin)) {
                for (Path f : secrets.filter(f -> f.toString().endsWith(".password")).toList())
                    assertThat(printed.toString()).doesNotContain(ClusterCredentials.readSecret(f));
            }

            Topics topics = Topics.defaults();
            KafkaConnection producer =
                    new KafkaConnection(
                            "localhost:" + client,
                            KafkaConnection.readProperties(
                                    credentials
                                            .resolve("producer")
                                            .resolve(ClusterCredentials.CLIENT_CONFIG)));
            try (var p = producer(producer)) {
                p.send(new ProducerRecord<>(topics.activations(), new byte[] {1}))
                        .get(60, TimeUnit.SECONDS);
                assertThatThrownBy(
                                () ->
                                        p.send(
                                                        new ProducerRecord<>(
                                                                topics.models(), new byte[] {1}))
                                                .get(60, TimeUnit.SECONDS))
                        .as("the producer may not publish models")
                        .hasCauseInstanceOf(TopicAuthorizationException.class);
            }

            Map<String, String> noCertificate =
                    new HashMap<>(
                            KafkaConnection.readProperties(
                                    admin.resolve(ClusterCredentials.CLIENT_CONFIG)));
            noCertificate.remove("ssl.keystore.type");
            noCertificate.remove("ssl.keystore.location");
            noCertificate.put("default.api.timeout.ms", "8000");
            noCertificate.put("request.timeout.ms", "4000");
            try (Admin a =
                    Admin.create(
                            new KafkaConnection("localhost:" + internal, noCertificate).client())) {
                assertThatThrownBy(() -> a.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                        .as("the brokers' listener takes certificates only")
                        .isInstanceOf(ExecutionException.class);
            }
        } finally {
            broker.shutdown();
            broker.awaitShutdown();
        }
    }

    /**
     * The server properties the apache/kafka image makes of kafka-1's environment in the Compose
     * file: its start script's reading of the TLS stores from {@code /etc/kafka/secrets} (here
     * {@code secrets}), then its wrapper's conversion of every {@code KAFKA_*} variable. Only what
     * one local node needs differs: addresses, one replica, a temporary log folder.
     */
    @SuppressWarnings("unchecked")
    private Properties serverProperties(Path secrets, int client, int controller, int internal)
            throws Exception {
        Map<String, Object> compose = new Yaml().load(Files.readString(COMPOSE));
        Map<String, Object> kafka1 =
                (Map<String, Object>)
                        ((Map<String, Object>) compose.get("services")).get("kafka-1");
        Map<String, String> env = new HashMap<>();
        ((Map<String, Object>) kafka1.get("environment"))
                .forEach((k, v) -> env.put(k, v.toString()));

        assertThat(env.get("KAFKA_LISTENERS"))
                .isEqualTo("SASL_SSL://:9092,CONTROLLER://:9093,INTERNAL://:9094");
        env.put(
                "KAFKA_LISTENERS",
                "SASL_SSL://localhost:"
                        + client
                        + ",CONTROLLER://localhost:"
                        + controller
                        + ",INTERNAL://localhost:"
                        + internal);
        env.put(
                "KAFKA_ADVERTISED_LISTENERS",
                env.get("KAFKA_ADVERTISED_LISTENERS")
                        .replace("kafka-1:9092", "localhost:" + client)
                        .replace("kafka-1:9094", "localhost:" + internal));
        env.put("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:" + controller);
        for (String rf :
                List.of(
                        "KAFKA_DEFAULT_REPLICATION_FACTOR",
                        "KAFKA_MIN_INSYNC_REPLICAS",
                        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR")) env.put(rf, "1");
        env.put("KAFKA_LOG_DIRS", dir.resolve("kafka-logs").toString());

        // What the image's configure script does when a listener speaks SSL.
        env.put(
                "KAFKA_SSL_KEYSTORE_LOCATION",
                secrets.resolve(env.get("KAFKA_SSL_KEYSTORE_FILENAME")).toString());
        env.put("KAFKA_SSL_KEY_PASSWORD", secret(secrets, env.get("KAFKA_SSL_KEY_CREDENTIALS")));
        env.put(
                "KAFKA_SSL_KEYSTORE_PASSWORD",
                secret(secrets, env.get("KAFKA_SSL_KEYSTORE_CREDENTIALS")));
        assertThat(env.get("KAFKA_SSL_CLIENT_AUTH"))
                .as("the image loads the trust store")
                .isIn("requested", "required");
        env.put(
                "KAFKA_SSL_TRUSTSTORE_LOCATION",
                secrets.resolve(env.get("KAFKA_SSL_TRUSTSTORE_FILENAME")).toString());
        env.put(
                "KAFKA_SSL_TRUSTSTORE_PASSWORD",
                secret(secrets, env.get("KAFKA_SSL_TRUSTSTORE_CREDENTIALS")));

        scala.collection.immutable.Map<String, String> scalaEnv =
                scala.collection.immutable.Map$.MODULE$.from(CollectionConverters.asScala(env));
        Properties props = new Properties();
        for (String line :
                CollectionConverters.asJava(
                        KafkaDockerWrapper$.MODULE$.getServerConfigsFromEnv(scalaEnv))) {
            int eq = line.indexOf('=');
            props.put(line.substring(0, eq), line.substring(eq + 1));
        }
        props.put("node.id", env.get("KAFKA_NODE_ID"));
        assertThat(props)
                .as("the image's conversion of the SCRAM listener's JAAS variable")
                .containsKey("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config");
        return props;
    }

    private static String clusterId() throws Exception {
        Map<String, Object> compose = new Yaml().load(Files.readString(COMPOSE));
        @SuppressWarnings("unchecked")
        var env =
                (Map<String, Object>)
                        ((Map<String, Object>)
                                        ((Map<String, Object>) compose.get("services"))
                                                .get("kafka-1"))
                                .get("environment");
        return env.get("CLUSTER_ID").toString();
    }

    private static String secret(Path secrets, String file) throws Exception {
        return ClusterCredentials.readSecret(secrets.resolve(file));
    }

    private static KafkaProducer<byte[], byte[]> producer(KafkaConnection c) {
        Map<String, Object> own = new HashMap<>();
        own.put("key.serializer", ByteArraySerializer.class.getName());
        own.put("value.serializer", ByteArraySerializer.class.getName());
        own.put("max.block.ms", "60000");
        return new KafkaProducer<>(c.client(own));
    }
}
