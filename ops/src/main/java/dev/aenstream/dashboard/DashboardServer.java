package dev.aenstream.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.javalin.Javalin;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.Context;
import io.javalin.http.ForbiddenResponse;
import io.javalin.http.NotFoundResponse;
import io.javalin.http.UnauthorizedResponse;
import io.javalin.http.staticfiles.Location;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web dashboard: a page drawing the feed with uPlot (from its webjar), {@code /api/state} with
 * the data as JSON for the page and for scripts, and a page per feature ({@code
 * /feature.html?sae=ID&feature=J}, data at {@code /api/feature}), and a live p-SNE map of each
 * dictionary ({@code /api/map?sae=ID}).
 */
public final class DashboardServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardServer.class);
    private final Javalin app;
    private final String host;

    private DashboardServer(Javalin app, String host) {
        this.app = app;
        this.host = host;
    }

    /** The cookie a browser keeps the token in once it has opened {@code /?token=...}. */
    static final String TOKEN_COOKIE = "aen_token";

    /** Serves {@code feed} to anyone who reaches {@code host}:{@code port}. */
    public static DashboardServer start(
            String host, int port, DashboardFeed feed, Supplier<Map<String, Object>> extra) {
        return start(host, port, feed, extra, null);
    }

    /**
     * Serves {@code feed} on {@code port} (0 picks a free one) of {@code host}.
     *
     * @param extra more top-level fields for the JSON, e.g. the command's own progress; may be null
     * @param token when not null, every page and API call needs it: {@code Authorization: Bearer
     *     TOKEN}, or a browser opens {@code /?token=TOKEN} once and keeps it in an HttpOnly cookie
     */
    public static DashboardServer start(
            String host,
            int port,
            DashboardFeed feed,
            Supplier<Map<String, Object>> extra,
            String token) {
        return start(host, port, feed, extra, token, HostAllowlist.LOCAL);
    }

    /**
     * As {@link #start(String, int, DashboardFeed, Supplier, String)}, answering requests whose
     * {@code Host} is on {@code hosts} only.
     */
    public static DashboardServer start(
            String host,
            int port,
            DashboardFeed feed,
            Supplier<Map<String, Object>> extra,
            String token,
            HostAllowlist hosts) {
        if (token != null && token.isBlank())
            throw new IllegalArgumentException("the dashboard's token must not be blank");
        ObjectMapper json = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
        Javalin app =
                Javalin.create(
                        config -> {
                            config.startup.showJavalinBanner = false;
                            config.routes.before(ctx -> checkHost(ctx, hosts));
                            if (token != null) config.routes.before(ctx -> authorise(ctx, token));
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
                            config.routes.get(
                                    "/api/watch",
                                    ctx ->
                                            ctx.contentType("application/json")
                                                    .result(write(json, feed.watch())));
                            config.routes.get(
                                    "/api/map",
                                    ctx -> {
                                        String sae = ctx.queryParam("sae");
                                        if (sae == null)
                                            throw new BadRequestResponse("give ?sae=SAE_ID");
                                        ctx.contentType("application/json")
                                                .result(write(json, feed.map(sae)));
                                    });
                            config.routes.get(
                                    "/api/feature",
                                    ctx -> {
                                        String sae = ctx.queryParam("sae");
                                        Integer feature = featureId(ctx.queryParam("feature"));
                                        if (sae == null || feature == null)
                                            throw new BadRequestResponse(
                                                    "give ?sae=SAE_ID&feature=FEATURE_ID, the"
                                                            + " feature a whole number from 0");
                                        Map<String, Object> page = feed.feature(sae, feature);
                                        if (page == null)
                                            throw new NotFoundResponse(
                                                    "no SAE of that id has been seen");
                                        ctx.contentType("application/json")
                                                .result(write(json, page));
                                    });
                        });
        app.start(host, port);
        DashboardServer server = new DashboardServer(app, host);
        LOG.info("dashboard at {}", server.url());
        return server;
    }

    /** Refuses a request whose Host is not on the list, before anything else is done. */
    private static void checkHost(Context ctx, HostAllowlist hosts) {
        String given = ctx.header("Host");
        if (hosts.allows(given)) return;
        throw new ForbiddenResponse(
                "this dashboard does not answer to the host name "
                        + (given == null ? "(none)" : "'" + given + "'")
                        + " (a guard against DNS rebinding): open it by IP address or localhost,"
                        + " or list the name with --http-allowed-hosts");
    }

    /**
     * Lets a request through only with the token: from the header, the cookie, or once from the
     * query (then kept as a cookie and dropped from the address).
     */
    private static void authorise(Context ctx, String token) {
        String given = bearer(ctx.header("Authorization"));
        if (given == null) given = ctx.cookie(TOKEN_COOKIE);
        String query = ctx.queryParam("token");
        if (query != null && matches(query, token)) {
            ctx.res()
                    .addHeader(
                            "Set-Cookie",
                            TOKEN_COOKIE
                                    + "="
                                    + URLEncoder.encode(token, StandardCharsets.UTF_8)
                                    + "; Path=/; HttpOnly; SameSite=Strict");
            ctx.redirect(ctx.path());
            ctx.skipRemainingHandlers();
            return;
        }
        if (given == null || !matches(URLDecoder.decode(given, StandardCharsets.UTF_8), token))
            throw new UnauthorizedResponse(
                    "this dashboard needs its token: open /?token=TOKEN once, or send"
                            + " Authorization: Bearer TOKEN");
    }

    /** The token of an {@code Authorization: Bearer TOKEN} header, or null for any other. */
    public static String bearer(String authorization) {
        return authorization != null && authorization.startsWith("Bearer ")
                ? authorization.substring(7).strip()
                : null;
    }

    /** Constant-time comparison, so timing does not tell how much of a guess was right. */
    public static boolean matches(String given, String token) {
        return MessageDigest.isEqual(
                given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    private static Integer featureId(String text) {
        if (text == null || !text.matches("\\d{1,9}")) return null;
        return Integer.valueOf(text);
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
        if (shown.contains(":")) shown = "[" + shown + "]";
        return "http://" + shown + ":" + port() + "/";
    }

    @Override
    public void close() {
        app.stop();
    }
}
