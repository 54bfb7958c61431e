package dev.aenstream.sae.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
        int starts = 6;
        for (int round = 0; round < 5; round++) {
            Path root = Files.createDirectory(tmp.resolve("round-" + round));
            CyclicBarrier together = new CyclicBarrier(starts);
            ExecutorService pool = Executors.newFixedThreadPool(starts);
            try {
                List<Future<Path>> copies = new ArrayList<>();
                for (int i = 0; i < starts; i++)
                    copies.add(
                            pool.submit(
                                    () -> {
                                        together.await();
                                        return NativeLibraries.sharedCopy(root);
                                    }));
                Set<Path> dirs = new HashSet<>();
                // A copy that lost the race to move into place must not remove the winner's.
                for (Future<Path> c : copies) dirs.add(c.get(60, TimeUnit.SECONDS));
                Path dir = dirs.iterator().next();
                assertThat(dirs).hasSize(1);
                assertThat(Files.size(dir.resolve(System.mapLibraryName("onnxruntime"))))
                        .isGreaterThan(1_000_000);
                try (var left = Files.list(dir.getParent())) {
                    assertThat(left).containsExactly(dir);
                }
            } finally {
                pool.shutdownNow();
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
