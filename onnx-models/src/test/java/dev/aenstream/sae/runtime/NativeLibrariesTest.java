package dev.aenstream.sae.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.testkit.AtOnce;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLibrariesTest {
    @TempDir Path tmp;

    @Test
    void theCopyIsMadeOnceInAFolderOnlyItsOwnerReads() throws Exception {
        Path dir = NativeLibraries.sharedCopy(tmp);
        assertThat(dir).isNotNull();
        assertThat(dir.getFileName().toString())
                .startsWith("onnxruntime-" + NativeLibraries.platform() + "-");
        Path library = dir.resolve(System.mapLibraryName("onnxruntime"));
        assertThat(Files.size(library)).isGreaterThan(1_000_000);
        assertThat(Files.exists(dir.resolve(System.mapLibraryName("onnxruntime4j_jni")))).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.getParent())))
                .isEqualTo("rwx------");

        long copied = Files.getLastModifiedTime(library).toMillis();
        assertThat(NativeLibraries.sharedCopy(tmp)).isEqualTo(dir);
        assertThat(Files.getLastModifiedTime(library).toMillis()).isEqualTo(copied);
        try (var left = Files.list(dir.getParent())) {
            assertThat(left).as("no staging folder or probe left").containsExactly(dir);
        }
    }

    @Test
    void aCopyCutShortIsMadeAgain() throws Exception {
        Path library =
                NativeLibraries.sharedCopy(tmp).resolve(System.mapLibraryName("onnxruntime"));
        long size = Files.size(library);
        try (FileChannel f = FileChannel.open(library, StandardOpenOption.WRITE)) {
            f.truncate(size / 2);
        }
        assertThat(NativeLibraries.sharedCopy(tmp).resolve(library.getFileName()))
                .isEqualTo(library);
        assertThat(Files.size(library)).isEqualTo(size);
    }

    @Test
    void processesStartingTogetherAllGetTheOneCopy() throws Exception {
        for (int round = 0; round < 5; round++) {
            Path root = Files.createDirectory(tmp.resolve("round-" + round));
            // A copy that lost the race to move into place must not remove the winner's.
            Set<Path> dirs = new HashSet<>(AtOnce.run(6, () -> NativeLibraries.sharedCopy(root)));
            assertThat(dirs).hasSize(1);
            Path dir = dirs.iterator().next();
            assertThat(Files.size(dir.resolve(System.mapLibraryName("onnxruntime"))))
                    .isGreaterThan(1_000_000);
            try (var left = Files.list(dir.getParent())) {
                assertThat(left).containsExactly(dir);
            }
        }
    }

    @Test
    void aFolderOthersCanWriteIntoIsRefused() throws Exception {
        Path home = tmp.resolve("aen-stream-" + System.getProperty("user.name"));
        Files.createDirectory(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> NativeLibraries.sharedCopy(tmp))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("open to other users");
        try (var left = Files.list(home)) {
            assertThat(left).as("nothing copied into it").isEmpty();
        }
    }
}
