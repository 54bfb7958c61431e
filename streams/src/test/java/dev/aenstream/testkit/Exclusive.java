package dev.aenstream.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A section that one test at a time may run in, across the integration tests' forked JVMs: the
 * tests that take most of the machine's memory (a 4 GB model, a cluster of child processes) take
 * it, so that two of them never overlap while lighter tests run beside either.
 */
public final class Exclusive implements AutoCloseable {
    private static final Path LOCK =
            Path.of(System.getProperty("java.io.tmpdir"), "aen-tests-memory-heavy.lock");

    private final FileChannel channel;
    private final FileLock lock;

    private Exclusive(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Waits until no other memory-heavy test runs, then holds the section until closed. */
    public static Exclusive memoryHeavy() {
        try {
            FileChannel channel =
                    FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new Exclusive(channel, channel.lock());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        lock.release();
        channel.close();
    }
}
