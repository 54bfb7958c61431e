package dev.aenstream.models;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A follower's temporary folder for arriving versions, locked for as long as its process lives. An
 * encoder that is killed cannot remove its folder, which may hold a half-spooled version of
 * gigabytes; the next one to start removes every such folder whose lock no live process holds.
 */
final class SpoolFolder implements AutoCloseable {
    static final String PREFIX = "aen-models-";
    private static final String LOCK = ".lock";

    private final Path dir;
    private final FileChannel lockFile;
    private final FileLock lock;

    private SpoolFolder(Path dir, FileChannel lockFile, FileLock lock) {
        this.dir = dir;
        this.lockFile = lockFile;
        this.lock = lock;
    }

    /** Removes abandoned folders under {@code parent}, then makes and locks a new one. */
    static SpoolFolder create(Path parent) {
        removeAbandoned(parent);
        try {
            Path dir = Files.createTempDirectory(parent, PREFIX);
            FileChannel file =
                    FileChannel.open(
                            dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new SpoolFolder(dir, file, file.lock());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a folder for model versions", e);
        }
    }

    /** The system's temporary folder ({@code java.io.tmpdir}). */
    static SpoolFolder create() {
        return create(Path.of(System.getProperty("java.io.tmpdir")));
    }

    Path dir() {
        return dir;
    }

    /** Removes the folder and everything in it. */
    @Override
    public void close() {
        try {
            lock.release();
            lockFile.close();
        } catch (IOException e) {
            // The folder goes all the same.
        }
        delete(dir);
    }

    private static void removeAbandoned(Path parent) {
        try (var folders = Files.newDirectoryStream(parent, PREFIX + "*")) {
            for (Path folder : folders) {
                Path lockPath = folder.resolve(LOCK);
                // A folder without a lock is being made right now, or not ours: left alone.
                if (!Files.isRegularFile(lockPath)) continue;
                try (FileChannel file = FileChannel.open(lockPath, StandardOpenOption.WRITE)) {
                    FileLock held = file.tryLock();
                    if (held == null) continue; // another process lives and holds it
                    held.release();
                } catch (OverlappingFileLockException mine) {
                    continue; // a follower of this process holds it
                }
                delete(folder);
            }
        } catch (IOException e) {
            // Cleaning up is a courtesy: a follower starts all the same.
        }
    }

    private static void delete(Path folder) {
        try (var left = Files.list(folder)) {
            for (Path f : (Iterable<Path>) left::iterator) Files.deleteIfExists(f);
            Files.deleteIfExists(folder);
        } catch (IOException e) {
            // The system's temporary folder is the system's to clean then.
        }
    }
}
