package dev.aenstream.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.utils.Utils;

/**
 * A folder in the system's temp folder for state nothing reads after the run (a demo's or a
 * benchmark's Kafka Streams stores: each run has a new application id; an embedded broker's logs
 * when no data folder is given), removed with everything in it on close. Close it after whatever
 * writes there.
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
