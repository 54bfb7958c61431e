package dev.aenstream.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.utils.Utils;

/**
 * A Kafka Streams state folder in the system's temp folder for one run whose stores nothing reads
 * again (a demo, a benchmark: each run has a new application id), removed with its stores on close.
 * Close it after the encoder that uses it.
 */
public final class TemporaryState implements AutoCloseable {
    private final Path dir;

    private TemporaryState(Path dir) {
        this.dir = dir;
    }

    /** A new, empty folder named {@code prefix} and a random suffix. */
    public static TemporaryState create(String prefix) throws IOException {
        return new TemporaryState(Files.createTempDirectory(prefix));
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() throws IOException {
        Utils.delete(dir.toFile());
    }
}
