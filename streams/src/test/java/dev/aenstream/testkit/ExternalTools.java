package dev.aenstream.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

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
