package dev.aenstream.chaos;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The network between the soak's processes and its brokers: one {@link TcpProxy} in front of each
 * broker, which the brokers advertise, so that clients and the brokers' own replication go through
 * it (the quorum's controller traffic does not). Each fault lasts a few seconds on one broker's
 * link, then the link heals.
 */
final class NetworkFaults implements AutoCloseable {
    /** The kinds of network fault, in the order the soak injects them. */
    enum Kind {
        SLOW,
        RESET,
        PARTITION
    }

    /** What a slow link holds back each chunk, each way. */
    static final long SLOW_MS = 250;

    private final List<TcpProxy> proxies = new ArrayList<>();
    private final long faultMs;

    /**
     * A proxy on a free loopback port in front of each of {@code brokerPorts}; a slow link or a
     * partition lasts {@code faultSeconds}.
     */
    NetworkFaults(int[] brokerPorts, double faultSeconds) throws IOException {
        this.faultMs = Math.round(faultSeconds * 1000);
        try {
            for (int port : brokerPorts) proxies.add(new TcpProxy(0, port));
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /** The port broker {@code i} (from 0) advertises: its proxy's. */
    int advertisedPort(int i) {
        return proxies.get(i).port();
    }

    /** The brokers as clients reach them, through the proxies. */
    String bootstrap() {
        return proxies.stream().map(p -> "localhost:" + p.port()).collect(Collectors.joining(","));
    }

    /**
     * Injects {@code kind} on broker {@code i}'s link (from 0) and returns once the link has
     * healed; says what was done.
     */
    String inject(Kind kind, int i, String broker) throws InterruptedException {
        TcpProxy proxy = proxies.get(i);
        try {
            return switch (kind) {
                case SLOW -> {
                    proxy.slow(SLOW_MS);
                    Thread.sleep(faultMs);
                    yield "slow link to "
                            + broker
                            + " ("
                            + SLOW_MS
                            + " ms a chunk, "
                            + seconds()
                            + ")";
                }
                case RESET -> {
                    proxy.reset();
                    yield "reset of every connection to " + broker;
                }
                case PARTITION -> {
                    proxy.partition(true);
                    Thread.sleep(faultMs);
                    yield "partition of "
                            + broker
                            + " from clients and replicas ("
                            + seconds()
                            + ")";
                }
            };
        } finally {
            proxy.heal();
        }
    }

    private String seconds() {
        return String.format(java.util.Locale.ROOT, "%.0f s", faultMs / 1000.0);
    }

    /** Connections the proxies have carried. */
    long connections() {
        return proxies.stream().mapToLong(TcpProxy::connections).sum();
    }

    @Override
    public void close() {
        for (TcpProxy p : proxies) {
            try {
                p.close();
            } catch (IOException e) {
                // Closing a listener that failed: nothing left to release.
            }
        }
    }
}
