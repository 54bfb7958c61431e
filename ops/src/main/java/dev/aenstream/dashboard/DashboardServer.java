package dev.aenstream.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.javalin.Javalin;
import io.javalin.http.staticfiles.Location;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web dashboard: a page drawing the feed with uPlot (from its webjar), and {@code /api/state}
 * with the data as JSON for the page and for scripts.
 */
public final class DashboardServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardServer.class);
    private final Javalin app;
    private final String host;

    private DashboardServer(Javalin app, String host) {
        this.app = app;
        this.host = host;
    }

    /**
     * Serves {@code feed} on {@code port} (0 picks a free one) of {@code host}.
     *
     * @param extra more top-level fields for the JSON, e.g. the command's own progress; may be null
     */
    public static DashboardServer start(
            String host, int port, DashboardFeed feed, Supplier<Map<String, Object>> extra) {
        ObjectMapper json = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
        Javalin app =
                Javalin.create(
                        config -> {
                            config.startup.showJavalinBanner = false;
                            config.staticFiles.enableWebjars();
                            config.staticFiles.add("/dashboard", Location.CLASSPATH);
                            config.routes.get(
                                    "/api/state",
                                    ctx -> {
                                        Map<String, Object> state = feed.snapshot();
                                        if (extra != null) state.putAll(extra.get());
                                        ctx.contentType("application/json")
                                                .result(write(json, state));
                                    });
                        });
        app.start(host, port);
        DashboardServer server = new DashboardServer(app, host);
        LOG.info("dashboard at {}", server.url());
        return server;
    }

    private static String write(ObjectMapper json, Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return app.port();
    }

    /** The address to open in a browser. */
    public String url() {
        String shown = host.equals("0.0.0.0") ? "localhost" : host;
        return "http://" + shown + ":" + port() + "/";
    }

    @Override
    public void close() {
        app.stop();
    }
}
