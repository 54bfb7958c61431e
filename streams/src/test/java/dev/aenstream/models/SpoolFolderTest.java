package dev.aenstream.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A killed encoder's spool folder, half a version in it, is removed by the next follower to start;
 * live folders, and folders that are not ours, stay.
 */
class SpoolFolderTest {
    @TempDir Path tmp;

    @Test
    void abandonedFoldersGoLiveOnesStay() throws Exception {
        // As a killed encoder leaves it: its lock file is there, and nobody holds it.
        Path abandoned = Files.createDirectory(tmp.resolve(SpoolFolder.PREFIX + "killed"));
        Files.createFile(abandoned.resolve(".lock"));
        Files.write(abandoned.resolve("version-0.part"), new byte[4096]);
        // Being made right now, or someone else's: no lock file.
        Path unlocked = Files.createDirectory(tmp.resolve(SpoolFolder.PREFIX + "other"));
        Path unrelated = Files.createDirectory(tmp.resolve("kafka-logs"));

        try (SpoolFolder live = SpoolFolder.create(tmp)) {
            assertThat(abandoned).doesNotExist();
            assertThat(unlocked).exists();
            assertThat(unrelated).exists();
            try (SpoolFolder second = SpoolFolder.create(tmp)) {
                assertThat(live.dir()).as("held by a follower of this process").exists();
                assertThat(second.dir()).exists().isNotEqualTo(live.dir());
            }
            assertThat(live.dir()).exists();
        }
        try (var left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(SpoolFolder.PREFIX + "other", "kafka-logs");
        }
    }
}
