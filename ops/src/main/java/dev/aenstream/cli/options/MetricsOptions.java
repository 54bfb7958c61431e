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
                    "Serve Prometheus metrics at http://localhost:PORT/metrics; 0 serves none"
                            + " (default: ${DEFAULT-VALUE}).")
    int metricsPort = 0;

    /** Starts the endpoint when a port was given; closing stops it. */
    public AutoCloseable start() throws IOException {
        if (metricsPort <= 0) return () -> {};
        return serve(metricsPort);
    }

    /**
     * Adds a Prometheus registry to Micrometer's global registry and serves it on {@code port} (0:
     * a free one).
     */
    public static Endpoint serve(int port) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        Metrics.addRegistry(registry);
        HttpServer server = HttpServer.create(new InetSocketAddress("localhost", port), 0);
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
                "metrics at http://localhost:" + server.getAddress().getPort() + "/metrics");
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
