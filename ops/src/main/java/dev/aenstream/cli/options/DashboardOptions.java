package dev.aenstream.cli.options;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.dashboard.DashboardFeed;
import dev.aenstream.dashboard.DashboardServer;
import dev.aenstream.dashboard.HostAllowlist;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/** The web dashboard a long-running command serves. */
public final class DashboardOptions {
    static final int OFF = -1;

    /** The demo's port, when free: the address people will be told to open. */
    static final int DEMO_PORT = 8080;

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            description =
                    "Serve the web dashboard on this port: live dead_pct, l0 and fve per SAE, the"
                            + " density histogram, alerts, throughput, lag, models and versions; 0"
                            + " picks a free port; -1 serves none (default: none, except for demo: "
                            + DEMO_PORT
                            + ", or a free port when that is taken).")
    Integer httpPort;

    @Option(
            names = "--http-host",
            paramLabel = "HOST",
            description =
                    "Interface the dashboard listens on (default: ${DEFAULT-VALUE}, this machine"
                            + " only; 0.0.0.0 opens it to the network, best with a token).")
    String httpHost = DEFAULT_HTTP_HOST;

    /** Where the dashboard listens unless told otherwise: this machine only. */
    public static final String DEFAULT_HTTP_HOST = MetricsOptions.LOOPBACK;

    @Option(
            names = "--http-auth-token",
            paramLabel = "TOKEN",
            description =
                    "Require this token for the dashboard and its JSON API (Authorization: Bearer"
                            + " TOKEN, or open /?token=TOKEN once in a browser). Prefer"
                            + " --http-auth-token-file: a command line is visible to other users.")
    String httpAuthToken;

    @Option(
            names = "--http-auth-token-file",
            paramLabel = "FILE",
            description = "Read the dashboard's token from this file (its first line).")
    Path httpAuthTokenFile;

    @Option(
            names = "--http-allowed-hosts",
            paramLabel = "NAME",
            split = ",",
            description =
                    "Host names the dashboard answers to besides IP addresses and localhost (a"
                            + " guard against DNS rebinding), e.g. the name of its Kubernetes"
                            + " service; comma-separated.")
    List<String> httpAllowedHosts = List.of();

    @Option(
            names = "--http-command-config",
            paramLabel = "FILE",
            description =
                    "Kafka client settings of the dashboard's reader, in place of"
                            + " --command-config: on a secured cluster the dashboard reads as its"
                            + " own principal, which may read what the command's may not"
                            + " (default: the command's settings).")
    Path httpCommandConfig;

    /** The token the dashboard requires, or null when it is open. */
    String token() {
        if (httpAuthToken != null && httpAuthTokenFile != null)
            throw new IllegalArgumentException(
                    "give the dashboard's token once: --http-auth-token or --http-auth-token-file");
        if (httpAuthTokenFile == null) return httpAuthToken;
        return readToken(httpAuthTokenFile, "the dashboard's");
    }

    /** The first line of {@code file}, a token; {@code whose} names it in errors. */
    static String readToken(Path file, String whose) {
        try {
            String first = Files.readString(file).strip().lines().findFirst().orElse("");
            if (first.isBlank()) throw new IllegalArgumentException(file + " holds no token");
            return first.strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + whose + " token from " + file, e);
        }
    }

    /** A running dashboard, or nothing when it is off. */
    public AutoCloseable start(KafkaConnection connection, Topics topics) {
        if (httpPort == null || httpPort == OFF) return () -> {};
        KafkaConnection reader =
                httpCommandConfig == null
                        ? connection
                        : new KafkaConnection(
                                connection.bootstrapServers(),
                                KafkaConnection.readProperties(httpCommandConfig));
        DashboardFeed feed = new DashboardFeed(reader, topics).start();
        try {
            return serve(feed, httpPort, null, feed);
        } catch (RuntimeException e) {
            feed.close();
            throw e;
        }
    }

    /**
     * The demo's dashboard over a feed the demo owns: on --http-port, else on {@value #DEMO_PORT}
     * or, when that is taken, a free port. Returns nothing to close when the user turned it off.
     */
    public AutoCloseable startForDemo(DashboardFeed feed, Supplier<Map<String, Object>> extra) {
        if (httpPort != null)
            return httpPort == OFF ? () -> {} : serve(feed, httpPort, extra, () -> {});
        try {
            return serve(feed, DEMO_PORT, extra, () -> {});
        } catch (RuntimeException e) {
            // Port taken (another demo, a dev server): any free port beats no dashboard.
            return serve(feed, 0, extra, () -> {});
        }
    }

    private AutoCloseable serve(
            DashboardFeed feed,
            int port,
            Supplier<Map<String, Object>> extra,
            AutoCloseable alsoClose) {
        if (port < OFF || port > 65_535)
            throw new IllegalArgumentException("--http-port must be -1 to 65535, got " + port);
        String token = token();
        DashboardServer server =
                DashboardServer.start(
                        httpHost,
                        port,
                        feed,
                        extra,
                        token,
                        new HostAllowlist(Set.copyOf(httpAllowedHosts)));
        System.out.println(
                "dashboard: "
                        + server.url()
                        + (token == null ? "" : " (open it once as /?token=YOUR_TOKEN)"));
        return () -> {
            try (alsoClose;
                    server) {
                // the server first, then what else the dashboard owns
            }
        };
    }
}
