package dev.aenstream.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TemporaryStateTest {
    @Test
    void closingRemovesTheFolderWithTheStoresInIt() throws Exception {
        Path dir;
        try (TemporaryState state = TemporaryState.create("aen-test-")) {
            dir = state.dir();
            assertThat(dir).isEmptyDirectory();
            assertThat(dir.getFileName().toString()).startsWith("aen-test-");
            // What Kafka Streams leaves: a folder per application and task, a lock, store files.
            Path store =
                    Files.createDirectories(dir.resolve("app").resolve("0_1").resolve("rocksdb"));
            Files.writeString(store.resolve("000001.sst"), "x");
            Files.writeString(dir.resolve("app").resolve(".lock"), "");
        }
        assertThat(dir).doesNotExist();
    }

    @Test
    void aFolderAlreadyGoneIsNoError() throws Exception {
        TemporaryState state = TemporaryState.create("aen-test-");
        state.close();
        state.close();
        assertThat(state.dir()).doesNotExist();
    }
}
