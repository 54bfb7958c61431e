package dev.aenstream.models;

import dev.aenstream.sae.runtime.SaeEncoder;
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
    private static final long RETIRE_AFTER_S = 30;

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
        retirer.schedule(() -> retire(encoder), RETIRE_AFTER_S, TimeUnit.SECONDS);
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
