package dev.aenstream.models;

import dev.aenstream.sae.runtime.SaeEncoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The ONNX sessions a follower opened: a replaced one is closed a while after the swap, once the
 * batches that took it just before have finished; whatever is open is closed with the follower.
 */
final class OpenEncoders implements AutoCloseable {
    /** How long a replaced encoder stays open for batches that took it just before the swap. */
    static final Duration RETIRE_AFTER = Duration.ofSeconds(30);

    private volatile Duration retireAfter = RETIRE_AFTER;

    private final ScheduledExecutorService retirer =
            Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread t = new Thread(r, "aen-model-retirer");
                        t.setDaemon(true);
                        return t;
                    });
    private final List<SaeEncoder> opened = new ArrayList<>();

    synchronized void opened(SaeEncoder encoder) {
        opened.add(encoder);
    }

    /** Closes {@code encoder} once the batches that may still use it are done. */
    void replaced(SaeEncoder encoder) {
        retirer.schedule(() -> retire(encoder), retireAfter.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Keeps replaced encoders open this long instead (tests that swap many versions fast). */
    void retireAfter(Duration after) {
        retireAfter = after;
    }

    /** Sessions open now: those served and those replaced but not yet retired. */
    synchronized int open() {
        return opened.size();
    }

    private synchronized void retire(SaeEncoder encoder) {
        if (opened.remove(encoder)) VersionLoader.closeQuietly(encoder);
    }

    @Override
    public synchronized void close() {
        retirer.shutdownNow();
        opened.forEach(VersionLoader::closeQuietly);
        opened.clear();
    }
}
