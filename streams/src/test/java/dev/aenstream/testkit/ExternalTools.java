package dev.aenstream.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The tools outside the JVM that integration tests call, each checked before use so that a missing
 * one fails with what to install rather than with a stack trace from deep inside the test.
 */
public final class ExternalTools {
    /** Debian's interpreter: the one {@code python3-torch} and friends install into. */
    public static final String PYTHON = "/usr/bin/python3";

    public static final String CHROMIUM = "/usr/bin/chromium";
    public static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    private static final String HOW =
            " (apt-get install %s, or run .ci/test-deps as root, which `./mvnw verify` does)";

    private ExternalTools() {}

    /**
     * Fails unless Debian's Python imports each module; {@code packages} are the Debian packages
     * that bring them.
     */
    public static void requirePython(String packages, String... modules) throws Exception {
        if (!Files.isExecutable(Path.of(PYTHON)))
            throw new AssertionError("this test needs " + PYTHON + String.format(HOW, packages));
        String imports = "import " + String.join(", ", modules);
        Process p = new ProcessBuilder(PYTHON, "-c", imports).redirectErrorStream(true).start();
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        if (!done || p.exitValue() != 0) {
            throw new AssertionError(
                    "this test needs the Python modules "
                            + String.join(", ", modules)
                            + " in "
                            + PYTHON
                            + String.format(HOW, packages)
                            + ": "
                            + new String(p.getInputStream().readAllBytes()).strip());
        }
    }

    /** What building or running Python leaves beside the sources; never copied. */
    private static final Set<String> PYTHON_LEFTOVERS = Set.of("build", "__pycache__", ".eggs");

    /**
     * A copy of the checkout's Python package (producers/python, with the Avro schema history its
     * build reads at the same relative place) under {@code dir}; its path. Tests install and run
     * the copy, so that pip's build folder, egg-info and bytecode land in a temporary folder, never
     * in the source tree.
     */
    public static Path pythonPackageCopy(Path dir) {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path copy = dir.resolve("checkout");
        copyTree(root.resolve("producers/python"), copy.resolve("producers/python"));
        String history = "avro/src/main/resources/dev/aenstream/avro/history";
        copyTree(root.resolve(history), copy.resolve(history));
        return copy.resolve("producers/python");
    }

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path rel = from.relativize(f);
                boolean leftover = false;
                for (Path part : rel)
                    leftover |=
                            PYTHON_LEFTOVERS.contains(part.toString())
                                    || part.toString().endsWith(".egg-info");
                if (leftover) continue;
                Path target = to.resolve(rel.toString());
                if (Files.isDirectory(f)) Files.createDirectories(target);
                else Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fails unless Debian's Chromium and its driver are installed. */
    public static void requireChromium() {
        for (String tool : new String[] {CHROMIUM, CHROMEDRIVER}) {
            if (!Files.isExecutable(Path.of(tool))) {
                throw new AssertionError(
                        "this test needs " + tool + String.format(HOW, "chromium chromium-driver"));
            }
        }
    }
}
