package dev.aenstream.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * People opening the dashboard and leaving: each visit opens its own connections, reads the page,
 * the state and the map and a feature page of each SAE a few times, and closes them, so the server
 * sees clients come and go for as long as the soak runs.
 */
final class DashboardClients implements AutoCloseable {
    private static final int MAX_READS_PER_VISIT = 5;
    private static final long MAX_PAUSE_MS = 3000;

    private final String baseUrl;
    private final String token;
    private final List<String> saes;
    private final int dSae;
    private final SplittableRandom random;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final Thread thread;
    private volatile boolean stop;
    private volatile String lastFailure = "";

    DashboardClients(String baseUrl, String token, List<String> saes, int dSae, long seed) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token;
        this.saes = List.copyOf(saes);
        this.dSae = dSae;
        this.random = new SplittableRandom(seed);
        this.thread = new Thread(this::visitUntilStopped, "aen-soak-dashboard-clients");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    long requests() {
        return requests.get();
    }

    long failures() {
        return failures.get();
    }

    String lastFailure() {
        return lastFailure;
    }

    private void visitUntilStopped() {
        try {
            while (!stop) {
                visit();
                Thread.sleep(random.nextLong(MAX_PAUSE_MS));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void visit() {
        get("/");
        int reads = 1 + random.nextInt(MAX_READS_PER_VISIT);
        for (int i = 0; i < reads && !stop; i++) {
            get("/api/state");
            String sae = saes.get(random.nextInt(saes.size()));
            get("/api/map?sae=" + sae);
            get("/api/feature?sae=" + sae + "&feature=" + random.nextInt(dSae));
        }
    }

    private void get(String path) {
        requests.incrementAndGet();
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) URI.create(baseUrl + path).toURL().openConnection();
            // Each visit is a new client: no connection is kept for the next one.
            c.setRequestProperty("Connection", "close");
            if (token != null) c.setRequestProperty("Authorization", "Bearer " + token);
            int status = c.getResponseCode();
            try (InputStream body = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                if (body != null) body.transferTo(java.io.OutputStream.nullOutputStream());
            }
            // Before the first statistics a feature page is not there yet; that is no failure.
            if (status >= 400 && status != HttpURLConnection.HTTP_NOT_FOUND)
                fail(path + ": HTTP " + status);
        } catch (IOException e) {
            fail(path + ": " + e);
        } finally {
            if (c != null) c.disconnect();
        }
    }

    private void fail(String what) {
        failures.incrementAndGet();
        lastFailure = what;
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.interrupt();
        thread.join(10_000);
    }
}
