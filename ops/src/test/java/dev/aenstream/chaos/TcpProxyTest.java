package dev.aenstream.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The chaos soak's proxy against an echo server: bytes go through unchanged; a slow link delays
 * them; a partition stalls them, and they arrive once it heals; a reset ends the connection with an
 * error, and a new connection works.
 */
class TcpProxyTest {
    private ServerSocket echo;
    private TcpProxy proxy;

    @BeforeEach
    void start() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t =
                new Thread(
                        () -> {
                            while (!echo.isClosed()) {
                                try {
                                    Socket s = echo.accept();
                                    Thread e =
                                            new Thread(
                                                    () -> {
                                                        try (s;
                                                                InputStream in =
                                                                        s.getInputStream();
                                                                OutputStream out =
                                                                        s.getOutputStream()) {
                                                            in.transferTo(out);
                                                        } catch (IOException ignored) {
                                                            // The proxy reset it.
                                                        }
                                                    });
                                    e.setDaemon(true);
                                    e.start();
                                } catch (IOException ignored) {
                                    // Closed.
                                }
                            }
                        });
        t.setDaemon(true);
        t.start();
        proxy = new TcpProxy(0, echo.getLocalPort());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        echo.close();
    }

    @Test
    void forwardsSlowsStallsAndResets() throws Exception {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "hello")).isEqualTo("hello");

            proxy.slow(300);
            long started = System.nanoTime();
            assertThat(roundTrip(s, "slow")).isEqualTo("slow");
            assertThat((System.nanoTime() - started) / 1e6)
                    .as("held back each way")
                    .isGreaterThanOrEqualTo(600);
            proxy.heal();

            proxy.partition(true);
            s.getOutputStream().write("stalled".getBytes());
            s.setSoTimeout(500);
            assertThatThrownBy(() -> s.getInputStream().read())
                    .isInstanceOf(SocketTimeoutException.class);
            proxy.heal();
            s.setSoTimeout(5_000);
            byte[] back = new byte[7];
            new DataInputStream(s.getInputStream()).readFully(back);
            assertThat(new String(back)).isEqualTo("stalled");

            proxy.reset();
            s.setSoTimeout(5_000);
            assertThatThrownBy(
                            () -> {
                                // The reset shows on the next read or write.
                                for (int i = 0; i < 10; i++) {
                                    s.getOutputStream().write(1);
                                    if (s.getInputStream().read() < 0)
                                        throw new IOException("closed");
                                }
                            })
                    .isInstanceOf(IOException.class);
        }
        try (Socket again = connect()) {
            assertThat(roundTrip(again, "again")).isEqualTo("again");
        }
        assertThat(proxy.connections()).isEqualTo(2);
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
        s.setSoTimeout(5_000);
        return s;
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes());
        byte[] back = new byte[text.length()];
        new DataInputStream(s.getInputStream()).readFully(back);
        return new String(back);
    }
}
