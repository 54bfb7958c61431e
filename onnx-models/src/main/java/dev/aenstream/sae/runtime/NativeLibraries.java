package dev.aenstream.sae.runtime;

import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.CRC32;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime's native libraries, copied once per user and build into a folder of the temp folder
 * that every later JVM loads them from (docs/operations.md, "Temporary files").
 *
 * <p>Left to itself ONNX Runtime copies its libraries (24 MB on linux-x64) into a new folder of the
 * temp folder in every JVM and removes them only when the JVM exits normally: the folder stayed
 * behind after every run, and a killed encoder or trainer left the 24 MB with it.
 */
final class NativeLibraries {
    private static final Logger LOG = LoggerFactory.getLogger(NativeLibraries.class);

    /** ONNX Runtime's own property: the folder it loads its libraries from, copying nothing. */
    static final String PATH_PROPERTY = "onnxruntime.native.path";

    /** ONNX Runtime's property for its main library alone, which also makes it copy nothing. */
    private static final String LIBRARY_PROPERTY = "onnxruntime.native.onnxruntime.path";

    private static final String RESOURCES = "ai/onnxruntime/native/";

    /**
     * The per-user folder is read only by its owner: in a temp folder others can write to, a folder
     * they made or can write into could hand us their library to load.
     */
    private static final Set<PosixFilePermission> OWNER_ONLY =
            PosixFilePermissions.fromString("rwx------");

    private static boolean prepared;

    /**
     * Whether ONNX Runtime's own empty folder is still to be removed: read on every environment
     * request (an encoder's every batch), so volatile rather than under the lock.
     */
    private static volatile boolean loaderFolderLeft;

    private NativeLibraries() {}

    /**
     * Points ONNX Runtime at the shared copy, making it first if needed; before the first ONNX
     * Runtime class loads. Leaves ONNX Runtime to its own loader when the user named a folder or
     * the copy cannot be made safely, saying why.
     */
    static synchronized void useSharedCopy() {
        if (prepared) return;
        prepared = true;
        if (System.getProperty(PATH_PROPERTY) != null
                || System.getProperty(LIBRARY_PROPERTY) != null) return;
        try {
            Path dir = sharedCopy(Path.of(System.getProperty("java.io.tmpdir")));
            if (dir == null) return;
            System.setProperty(PATH_PROPERTY, dir.toString());
            loaderFolderLeft = true;
            LOG.debug("ONNX Runtime loads its native libraries from {}", dir);
        } catch (UnsupportedOperationException e) {
            LOG.debug("no POSIX permissions here: ONNX Runtime copies its native libraries itself");
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "ONNX Runtime copies its native libraries itself, into a folder of the temp"
                            + " folder it leaves behind: the shared copy could not be used ({})",
                    e.toString());
        }
    }

    /**
     * Once ONNX Runtime has loaded from the shared copy, removes the folder its loader makes in
     * every JVM all the same: empty, it would go only at a normal exit, and stay after a kill.
     */
    static void loaded() {
        if (!loaderFolderLeft) return;
        synchronized (NativeLibraries.class) {
            if (!loaderFolderLeft) return;
            loaderFolderLeft = false;
        }
        try {
            // Its loader keeps the folder in a private field; a version without it is left alone.
            java.lang.reflect.Field field =
                    Class.forName("ai.onnxruntime.OnnxRuntime").getDeclaredField("tempDirectory");
            field.setAccessible(true);
            if (field.get(null) instanceof Path folder) Files.deleteIfExists(folder);
        } catch (ReflectiveOperationException | IOException | RuntimeException e) {
            LOG.debug("ONNX Runtime's own folder stays until the JVM exits ({})", e.toString());
        }
    }

    /**
     * The folder under {@code tempRoot} that holds this build's libraries for this platform, made
     * if missing or incomplete; null where ONNX Runtime's jar has none for this platform (it then
     * finds them on the library path itself).
     */
    static Path sharedCopy(Path tempRoot) throws IOException {
        String platform = platform();
        if (platform == null) return null;
        String prefix = RESOURCES + platform + "/";
        URL main =
                OrtEnvironment.class
                        .getClassLoader()
                        .getResource(prefix + System.mapLibraryName("onnxruntime"));
        if (main == null || !main.getProtocol().equals("jar")) return null;
        JarURLConnection connection = (JarURLConnection) main.openConnection();
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
            List<JarEntry> libraries =
                    jar.stream()
                            .filter(e -> !e.isDirectory())
                            .filter(e -> e.getName().startsWith(prefix))
                            .filter(e -> e.getName().indexOf('/', prefix.length()) < 0)
                            .toList();
            Path home = ownFolder(tempRoot.resolve("aen-stream-" + user()));
            Path dir = home.resolve("onnxruntime-" + platform + "-" + fingerprint(libraries));
            if (complete(dir, libraries)) return dir;
            Path staging = Files.createTempDirectory(home, "copying-");
            try {
                for (JarEntry e : libraries)
                    try (InputStream in = jar.getInputStream(e)) {
                        Files.copy(in, staging.resolve(fileName(e)));
                    }
                // A copy the temp folder's cleaner trimmed is moved aside whole, unless another
                // JVM has finished its copy meanwhile: a copy in place is never removed, as a
                // process may be loading from it.
                if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !complete(dir, libraries)) {
                    Path aside = home.resolve("trimmed-" + staging.getFileName());
                    try {
                        Files.move(dir, aside, StandardCopyOption.ATOMIC_MOVE);
                        Utils.delete(aside.toFile());
                    } catch (IOException movedFirst) {
                        // another JVM moved it aside first
                    }
                }
                try {
                    Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException raced) {
                    // Another JVM moved its copy into place first: it is as good as ours.
                }
            } finally {
                Utils.delete(staging.toFile());
            }
            if (!complete(dir, libraries))
                throw new IOException("the copy in " + dir + " is incomplete");
            return dir;
        }
    }

    /**
     * {@code home}, made readable by its owner alone if missing; refused unless it is a folder,
     * ours, and closed to others.
     */
    private static Path ownFolder(Path home) throws IOException {
        if (!Files.exists(home, LinkOption.NOFOLLOW_LINKS))
            try {
                Files.createDirectory(home, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } catch (java.nio.file.FileAlreadyExistsException made) {
                // made by another of our JVMs meanwhile: checked below like any other
            }
        if (!Files.isDirectory(home, LinkOption.NOFOLLOW_LINKS))
            throw new IOException(home + " is not a folder");
        if (!Files.getPosixFilePermissions(home, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY))
            throw new IOException(home + " is open to other users (want rwx------)");
        // Our files' owner is who we run as, whatever the user's name resolves to.
        Path probe = Files.createTempFile(home, "owner-", "");
        try {
            if (!Files.getOwner(home, LinkOption.NOFOLLOW_LINKS)
                    .equals(Files.getOwner(probe, LinkOption.NOFOLLOW_LINKS)))
                throw new IOException(home + " belongs to another user");
        } finally {
            Files.delete(probe);
        }
        return home;
    }

    /** Whether {@code dir} holds every library at its full size. */
    private static boolean complete(Path dir, List<JarEntry> libraries) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return false;
        for (JarEntry e : libraries) {
            Path f = dir.resolve(fileName(e));
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || Files.size(f) != e.getSize())
                return false;
        }
        return true;
    }

    /**
     * Names the build by its libraries' names, sizes and checksums, read from the jar's directory:
     * another ONNX Runtime version gets a folder of its own.
     */
    private static String fingerprint(List<JarEntry> libraries) {
        CRC32 crc = new CRC32();
        for (JarEntry e : libraries) {
            crc.update(e.getName().getBytes(StandardCharsets.UTF_8));
            crc.update(Long.toString(e.getSize()).getBytes(StandardCharsets.UTF_8));
            crc.update(Long.toString(e.getCrc()).getBytes(StandardCharsets.UTF_8));
        }
        return String.format("%08x", crc.getValue());
    }

    private static String fileName(JarEntry e) {
        return e.getName().substring(e.getName().lastIndexOf('/') + 1);
    }

    /** A name for the per-user folder that is safe in a path. */
    private static String user() {
        String name = System.getProperty("user.name", "");
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.isEmpty() ? "user" : safe;
    }

    /** ONNX Runtime's name for this platform's folder of its jar; null where it ships none. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o =
                os.contains("mac") || os.contains("darwin")
                        ? "osx"
                        : os.contains("win") ? "win" : os.contains("nux") ? "linux" : null;
        String a =
                arch.equals("amd64") || arch.equals("x86_64")
                        ? "x64"
                        : arch.equals("aarch64") ? "aarch64" : null;
        return o == null || a == null ? null : o + "-" + a;
    }
}
