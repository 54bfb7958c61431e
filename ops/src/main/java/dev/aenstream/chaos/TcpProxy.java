package dev.aenstream.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on loopback between Kafka's clients and one broker, which the chaos soak uses to make
 * the network misbehave: a slow link (every chunk held back), resets (every connection closed with
 * a TCP RST) and a partition (connections stay open and nothing gets through either way until it
 * heals: what was sent waits, as TCP's retransmissions make it wait when a switch drops packets).
 */
final class TcpProxy implements AutoCloseable {
    private static final int CHUNK_BYTES = 64 * 1024;

    private final ServerSocket server;
    private final int targetPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong connections = new AtomicLong();
    private volatile long delayMs;
    private volatile boolean partitioned;
    private volatile boolean closed;

    /** Listens on loopback {@code port} (0: a free one) and forwards to loopback {@code target}. */
    TcpProxy(int port, int targetPort) throws IOException {
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        this.targetPort = targetPort;
        Thread acceptor = new Thread(this::accept, "chaos-proxy-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far. */
    long connections() {
        return connections.get();
    }

    /** Holds every chunk back {@code ms} milliseconds in each direction (0: none). */
    void slow(long ms) {
        delayMs = ms;
    }

    /** Stalls both directions while true, leaving the connections open. */
    void partition(boolean on) {
        partitioned = on;
    }

    /** Closes every open connection with a TCP reset; clients reconnect through the proxy. */
    void reset() {
        for (Socket s : open) abort(s);
    }

    /** Back to a good network: no delay, no partition. */
    void heal() {
        delayMs = 0;
        partitioned = false;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                connections.incrementAndGet();
                Socket upstream;
                try {
                    upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                } catch (IOException e) {
                    // The broker is down (killed by the soak): the client sees a closed connection.
                    abort(client);
                    continue;
                }
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                open.add(client);
                open.add(upstream);
                pump(client, upstream, "up");
                pump(upstream, client, "down");
            } catch (IOException e) {
                if (!closed) sleepQuietly(10);
            }
        }
    }

    private void pump(Socket from, Socket to, String direction) {
        Thread t =
                new Thread(
                        () -> {
                            byte[] buffer = new byte[CHUNK_BYTES];
                            try (InputStream in = from.getInputStream();
                                    OutputStream out = to.getOutputStream()) {
                                int read;
                                while ((read = in.read(buffer)) >= 0) {
                                    long delay = delayMs;
                                    if (delay > 0) Thread.sleep(delay);
                                    while (partitioned && !closed) Thread.sleep(20);
                                    out.write(buffer, 0, read);
                                    out.flush();
                                }
                            } catch (IOException | InterruptedException e) {
                                // A reset, or the other side gone: the connection ends.
                            } finally {
                                abort(from);
                                abort(to);
                            }
                        },
                        "chaos-proxy-" + direction + "-" + from.getPort());
        t.setDaemon(true);
        t.start();
    }

    private void abort(Socket s) {
        open.remove(s);
        try {
            // A zero linger makes close send a reset rather than a graceful end.
            s.setSoLinger(true, 0);
        } catch (SocketException e) {
            // Already closed.
        }
        try {
            s.close();
        } catch (IOException e) {
            // Already closed.
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        reset();
    }
}
