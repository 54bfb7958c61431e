package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.cli.options.MetricsOptions;
import dev.aenstream.dashboard.DashboardFeed;
import dev.aenstream.dashboard.DashboardServer;
import dev.aenstream.dashboard.HostAllowlist;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who the dashboard and /metrics answer. The dashboard refuses a request whose Host is a name it
 * was not given (a page that rebinds its own name to this machine cannot read it), and answers IP
 * addresses, localhost and the names listed. /metrics requires the token when there is one, and
 * refuses to serve beyond this machine without one unless told. On main the dashboard answered any
 * Host, and /metrics had no token.
 */
class EndpointAccessTest {
    private static final String TOKEN = "metrics-t0ken";
    @TempDir Path dir;

    @Test
    void theDashboardAnswersOnlyHostsItKnows() throws Exception {
        try (DashboardFeed feed =
                        new DashboardFeed(KafkaConnection.of("127.0.0.1:1"), Topics.defaults());
                DashboardServer server =
                        DashboardServer.start(
                                MetricsOptions.LOOPBACK,
                                0,
                                feed,
                                null,
                                null,
                                new HostAllowlist(Set.of("aen-dashboard")))) {
            int port = server.port();
            assertThat(status(port, "/api/state", "evil.example:" + port, null)).isEqualTo(403);
            assertThat(status(port, "/", "rebind.attacker.test", null)).isEqualTo(403);
            assertThat(status(port, "/api/state", "localhost:" + port, null)).isEqualTo(200);
            assertThat(status(port, "/api/state", "127.0.0.1:" + port, null)).isEqualTo(200);
            assertThat(status(port, "/api/state", "[::1]:" + port, null)).isEqualTo(200);
            assertThat(status(port, "/api/state", "AEN-Dashboard", null)).isEqualTo(200);
        }
        assertThat(HostAllowlist.LOCAL.allows(null)).isFalse();
        assertThat(HostAllowlist.LOCAL.allows("localhost:x")).isFalse();
        assertThat(HostAllowlist.LOCAL.allows("10.0.0.7:8080")).isTrue();
    }

    @Test
    void metricsNeedTheTokenAndNeverGoBeyondThisMachineWithoutOne() throws Exception {
        try (MetricsOptions.Endpoint endpoint =
                MetricsOptions.serve(MetricsOptions.LOOPBACK, 0, TOKEN)) {
            int port = endpoint.port();
            assertThat(status(port, "/metrics", "127.0.0.1", null)).isEqualTo(401);
            assertThat(status(port, "/metrics", "127.0.0.1", "wrong")).isEqualTo(401);
            assertThat(status(port, "/metrics", "127.0.0.1", TOKEN)).isEqualTo(200);
        }
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        String port = Integer.toString(EmbeddedBroker.freePort());
        assertThatThrownBy(() -> start("--metrics-port", port, "--metrics-host", "0.0.0.0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--metrics-auth-token-file")
                .hasMessageContaining("--metrics-open");
        for (String[] args :
                new String[][] {
                    {"--metrics-host", "0.0.0.0", "--metrics-open"},
                    {
                        "--metrics-host",
                        "0.0.0.0",
                        "--metrics-auth-token-file",
                        tokenFile.toString()
                    },
                    {"--metrics-host", "0.0.0.0", "--http-auth-token", TOKEN}
                }) {
            String[] all = new String[args.length + 2];
            all[0] = "--metrics-port";
            all[1] = port;
            System.arraycopy(args, 0, all, 2, args.length);
            start(all).close();
        }
    }

    /** Serves metrics as {@code aen encode ARGS} would, after the same checks. */
    private static AutoCloseable start(String... args) throws Exception {
        String[] full = new String[args.length + 1];
        full[0] = "encode";
        System.arraycopy(args, 0, full, 1, args.length);
        EncodeCommand encode =
                (EncodeCommand)
                        Aen.commandLine(full)
                                .parseArgs(full)
                                .subcommand()
                                .commandSpec()
                                .userObject();
        return encode.metrics.start(encode.dashboard);
    }

    /** The status of GET {@code path} with this Host header (a browser sends the name it used). */
    private static int status(int port, String path, String host, String token) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            String request =
                    "GET "
                            + path
                            + " HTTP/1.1\r\nHost: "
                            + host
                            + "\r\n"
                            + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
                            + "Connection: close\r\n\r\n";
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) line.append((char) c);
            return Integer.parseInt(line.toString().split(" ")[1]);
        }
    }
}
