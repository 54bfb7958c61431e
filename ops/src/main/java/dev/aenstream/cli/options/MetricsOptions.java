package dev.aenstream.cli.options;

import com.sun.net.httpserver.HttpServer;
import dev.aenstream.dashboard.DashboardServer;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --metrics-port}: a Prometheus scrape endpoint at /metrics for a long-running command. */
public final class MetricsOptions {
    @Option(
            names = "--metrics-port",
            paramLabel = "PORT",
            description =
                    "Serve Prometheus metrics at http://HOST:PORT/metrics; 0 serves none"
                            + " (default: ${DEFAULT-VALUE}).")
    int metricsPort = 0;

    @Option(
            names = "--metrics-host",
            paramLabel = "HOST",
            description =
                    "Interface the metrics endpoint listens on (default: ${DEFAULT-VALUE}; a pod"
                            + " scraped and probed on its IP needs 0.0.0.0).")
    String metricsHost = LOOPBACK;

    @Option(
            names = "--metrics-auth-token-file",
            paramLabel = "FILE",
            description =
                    "Require the token in this file (its first line) for /metrics, as"
                            + " Authorization: Bearer TOKEN (Prometheus: authorization."
                            + "credentials_file); without it, the dashboard's token is required"
                            + " when the command has one.")
    Path metricsAuthTokenFile;

    @Option(
            names = "--metrics-open",
            description =
                    "Serve /metrics to anyone who reaches it, with no token, even beyond this"
                            + " machine (a scrape inside a private network).")
    boolean metricsOpen;

    /** Where an endpoint listens unless told otherwise: this machine only. */
    public static final String LOOPBACK = "127.0.0.1";

    /**
     * Starts the endpoint when a port was given, behind its token or else the dashboard's; closing
     * stops it.
     *
     * @throws IllegalArgumentException when it would serve beyond this machine with no token and no
     *     --metrics-open
     */
    public AutoCloseable start(DashboardOptions dashboard) throws IOException {
        if (metricsPort <= 0) return () -> {};
        String token = null;
        if (!metricsOpen)
            token =
                    metricsAuthTokenFile != null
                            ? DashboardOptions.readToken(metricsAuthTokenFile, "the metrics")
                            : dashboard.token();
        if (token == null && !metricsOpen && !isLoopback(metricsHost))
            throw new IllegalArgumentException(
                    "--metrics-host "
                            + metricsHost
                            + " serves /metrics beyond this machine: give"
                            + " --metrics-auth-token-file (Prometheus sends it with"
                            + " authorization.credentials_file), or --metrics-open to serve it"
                            + " with no token");
        return serve(metricsHost, metricsPort, token);
    }

    private static boolean isLoopback(String host) {
        return host.equals(LOOPBACK) || host.equals("localhost") || host.equals("::1");
    }

    /** {@link #serve(String, int, String)} on the loopback interface, with no token. */
    public static Endpoint serve(int port) throws IOException {
        return serve(LOOPBACK, port, null);
    }

    /**
     * Adds a Prometheus registry to Micrometer's global registry and serves it on {@code port} (0:
     * a free one) of {@code host}; with a {@code token}, only to requests that send it.
     */
    public static Endpoint serve(String host, int port, String token) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        Metrics.addRegistry(registry);
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.createContext(
                "/metrics",
                exchange -> {
                    if (token != null && !bearer(exchange.getRequestHeaders(), token)) {
                        byte[] refusal =
                                "/metrics needs its token: Authorization: Bearer TOKEN\n"
                                        .getBytes(StandardCharsets.UTF_8);
                        exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer");
                        exchange.sendResponseHeaders(401, refusal.length);
                        try (OutputStream out = exchange.getResponseBody()) {
                            out.write(refusal);
                        }
                        return;
                    }
                    byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders()
                            .add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                    exchange.sendResponseHeaders(200, body.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                });
        server.start();
        System.out.println(
                "metrics at http://"
                        + (host.equals("0.0.0.0") ? "localhost" : host)
                        + ":"
                        + server.getAddress().getPort()
                        + "/metrics");
        return new Endpoint(server, registry);
    }

    /**
     * Whether the request carries {@code Authorization: Bearer TOKEN}, compared in constant time.
     */
    private static boolean bearer(com.sun.net.httpserver.Headers headers, String token) {
        String given = DashboardServer.bearer(headers.getFirst("Authorization"));
        return given != null && DashboardServer.matches(given, token);
    }

    /** A running endpoint. */
    public record Endpoint(HttpServer server, PrometheusMeterRegistry registry)
            implements AutoCloseable {
        public int port() {
            return server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
            Metrics.removeRegistry(registry);
            registry.close();
        }
    }
}
