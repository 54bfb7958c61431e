package dev.aenstream.cli.options;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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

    /** Where an endpoint listens unless told otherwise: this machine only. */
    public static final String LOOPBACK = "127.0.0.1";

    /** Starts the endpoint when a port was given; closing stops it. */
    public AutoCloseable start() throws IOException {
        if (metricsPort <= 0) return () -> {};
        return serve(metricsHost, metricsPort);
    }

    /** {@link #serve(String, int)} on the loopback interface. */
    public static Endpoint serve(int port) throws IOException {
        return serve(LOOPBACK, port);
    }

    /**
     * Adds a Prometheus registry to Micrometer's global registry and serves it on {@code port} (0:
     * a free one) of {@code host}.
     */
    public static Endpoint serve(String host, int port) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        Metrics.addRegistry(registry);
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.createContext(
                "/metrics",
                exchange -> {
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
