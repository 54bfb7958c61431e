package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.BrokerSecurity;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.models.ModelPublisher;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The loop on a broker that speaks SASL_SSL and authorises with ACLs. */
class SecureClusterIT {
    @TempDir Path dir;

    @Test
    void theBrokerRefusesPlaintextBadCredentialsAndPrincipalsWithoutTheAcl() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(0, dir.resolve("kafka"), true)) {
            String bootstrap = broker.bootstrapServers();
            Path admin = broker.security().writeClientConfig(BrokerSecurity.ADMIN);
            assertThat(
                            Aen.commandLine(new String[0])
                                    .execute(
                                            "topics",
                                            "--acls",
                                            "--bootstrap-server",
                                            bootstrap,
                                            "--command-config",
                                            admin.toString()))
                    .isZero();

            Properties plaintext = new Properties();
            plaintext.put("bootstrap.servers", bootstrap);
            plaintext.put("default.api.timeout.ms", "8000");
            plaintext.put("request.timeout.ms", "4000");
            try (Admin a = Admin.create(plaintext)) {
                assertThatThrownBy(() -> a.describeCluster().nodes().get(15, TimeUnit.SECONDS))
                        .as("a plaintext client gets no answer from a TLS listener")
                        .isInstanceOf(ExecutionException.class);
            }

            Map<String, String> wrong =
                    new HashMap<>(broker.security().clientProperties("trainer"));
            wrong.put(
                    "sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required"
                            + " username=\"trainer\" password=\"not-the-password\";");
            try (Admin a = Admin.create(new KafkaConnection(bootstrap, wrong).client())) {
                assertThatThrownBy(() -> a.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(SaslAuthenticationException.class);
            }

            Topics topics = Topics.defaults();
            byte[] graph = new byte[] {1, 2, 3};
            var version =
                    new ModelPublisher.Version(
                            "sae", 1, "aen", 8, 16, 4, Normalisation.NONE, Map.of());
            try (ModelPublisher producer =
                    new ModelPublisher(broker.connection("producer"), topics.models())) {
                assertThatThrownBy(() -> producer.publish(version, graph))
                        .as("the producer's principal has no WRITE on the models topic")
                        .hasCauseInstanceOf(TopicAuthorizationException.class);
            }
            try (ModelPublisher trainer =
                    new ModelPublisher(broker.connection("trainer"), topics.models())) {
                assertThat(trainer.publish(version, graph).getVersion()).isEqualTo(1);
            }
        }
    }

    @Test
    void theWholeLoopRunsAsSeparatePrincipalsAndNoSecretReachesLogsOrSummary() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(logs);
        Set<String> passwords = ConcurrentHashMap.newKeySet();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread watcher = new Thread(() -> collectPasswords(passwords, running));
        watcher.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        Path summary = dir.resolve("summary.json");
        int code;
        try {
            System.setOut(new PrintStream(new TeeStream(original, out), true));
            code =
                    Aen.commandLine(new String[0])
                            .execute(
                                    "demo",
                                    "--secure",
                                    "--duration",
                                    "40",
                                    "--d-sae",
                                    "256",
                                    "--publish-every",
                                    "20",
                                    // Starvation judged over 50 steps of 256 rows, not the
                                    // demo's 200: alerts come within the run on a loaded machine
                                    // too (CI of stop 40 saw none in 40 s).
                                    "--dead-window",
                                    "12800",
                                    "--summary-json",
                                    summary.toString());
        } finally {
            System.setOut(original);
            running.set(false);
            watcher.join();
            root.detachAppender(logs);
        }
        assertThat(code).isZero();
        JsonNode json = new ObjectMapper().readTree(summary.toFile());
        assertThat(json.get("security_protocol").asText()).isEqualTo("SASL_SSL");
        assertThat(json.get("models_signed").asBoolean()).isTrue();
        assertThat(json.get("tokens_encoded").asLong()).isPositive();
        assertThat(json.get("dead_letters").asLong()).isZero();
        long alerts = 0;
        for (JsonNode sae : json.get("saes")) {
            assertThat(sae.get("version").asLong())
                    .as("the encoders swapped to a version the trainer published and signed")
                    .isGreaterThanOrEqualTo(2);
            alerts += sae.get("alerts").asLong();
        }
        assertThat(alerts).as("the monitor's alerts reached the alerts topic").isPositive();
        String printed = out.toString();
        assertThat(printed).contains("secured: SASL_SSL");

        assertThat(passwords).as("the run's passwords were found to look for").hasSize(5);
        StringBuilder everything = new StringBuilder(printed).append(Files.readString(summary));
        for (ILoggingEvent e : logs.list) {
            everything.append(e.getFormattedMessage()).append('\n');
            if (e.getThrowableProxy() != null)
                everything.append(ThrowableProxyUtil.asString(e.getThrowableProxy()));
        }
        assertThat(logs.list).as("the run's log was captured").isNotEmpty();
        for (String p : passwords) assertThat(everything.toString()).doesNotContain(p);
    }

    /** Reads the passwords of every secured embedded broker made while the test runs. */
    private static void collectPasswords(Set<String> into, AtomicBoolean running) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        while (running.get()) {
            try (var dirs = Files.newDirectoryStream(tmp, "aen-kafka-*")) {
                for (Path d : dirs) {
                    Path file = d.resolve("security").resolve("passwords.properties");
                    if (!Files.exists(file)) continue;
                    Properties p = new Properties();
                    try (var r = Files.newBufferedReader(file)) {
                        p.load(r);
                    }
                    p.stringPropertyNames().forEach(k -> into.add(p.getProperty(k)));
                }
                Thread.sleep(200);
            } catch (Exception e) {
                // A broker's folder can vanish while it is read: look again.
            }
        }
    }

    /** Writes to two streams. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
