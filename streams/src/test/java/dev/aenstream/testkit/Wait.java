package dev.aenstream.testkit;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.Callable;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Waits for a condition with Awaitility and says whether it came, so the test states the failure in
 * its own assertion (with the log it wants to show) rather than in a timeout exception.
 */
public final class Wait {
    private static final Duration DEFAULT_POLL = Duration.ofMillis(100);

    private Wait() {}

    /**
     * Polls {@code condition} every {@code poll} until it holds or {@code timeout} passed; whether
     * it held.
     */
    public static boolean until(Duration timeout, Duration poll, Callable<Boolean> condition) {
        try {
            await().atMost(timeout).pollDelay(Duration.ZERO).pollInterval(poll).until(condition);
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }

    /** {@link #until(Duration, Duration, Callable)} polling every 100 ms. */
    public static boolean until(Duration timeout, Callable<Boolean> condition) {
        return until(timeout, DEFAULT_POLL, condition);
    }
}
