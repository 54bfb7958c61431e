package dev.aenstream.encode;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Attempts at records whose encoding failed for a reason that is not theirs (an ONNX Runtime or
 * device error, memory, a bug): such a failure fails the task, so the record is tried again from
 * its committed offset, and a record is set aside as a dead letter only after {@link #ATTEMPTS}
 * failures. Shared by the tasks of one instance, so it outlives the stream thread a failure
 * replaces.
 */
final class EncodeRetries {
    /** Failures of one record before it becomes a dead letter. */
    static final int ATTEMPTS = 3;

    /** Positions remembered at once: only records failing right now are. */
    private static final int REMEMBERED = 1_024;

    private final long backoffMs;
    private final Map<String, Integer> failures =
            new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
                    return size() > REMEMBERED;
                }
            };

    /**
     * Retries that wait {@code backoffMs}, doubled at each attempt, before the task fails, so a
     * transient cause (memory, a device) has time to pass.
     */
    EncodeRetries(long backoffMs) {
        this.backoffMs = backoffMs;
    }

    /** Waits a second, then two, before the task fails. */
    static EncodeRetries withBackoff() {
        return new EncodeRetries(1_000);
    }

    /**
     * Counts a failure of the record at {@code position}; true while it has attempts left (after
     * the backoff), false when it is to be set aside.
     */
    boolean failed(String position) {
        int attempt;
        synchronized (failures) {
            attempt = failures.merge(position, 1, Integer::sum);
            if (attempt >= ATTEMPTS) failures.remove(position);
        }
        if (attempt >= ATTEMPTS) return false;
        try {
            Thread.sleep(backoffMs << (attempt - 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    /** Forgets the failures of the record at {@code position}, which has now been encoded. */
    void succeeded(String position) {
        synchronized (failures) {
            if (!failures.isEmpty()) failures.remove(position);
        }
    }
}
