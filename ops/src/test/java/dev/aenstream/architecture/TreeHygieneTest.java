package dev.aenstream.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the tree promises its readers, checked on the sources: a README that stays a landing page
 * whose links lead somewhere, and tests whose waits cannot time out unnoticed.
 */
class TreeHygieneTest {
    /** The checkout: tests run in their module's folder. */
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static final int README_MAX_LINES = 200;

    /** Past this a main class does more than one job (docs/architecture.md, "The rules"). */
    private static final int CLASS_MAX_LINES = 450;

    private static final String[] MODULES = {"avro", "onnx-models", "producers", "streams", "ops"};

    private static final Pattern LINK = Pattern.compile("\\]\\(([^)#\\s]+)(?:#([^)\\s]+))?\\)");

    /** A call whose answer is used follows an operator or an opening; a statement follows ; { }. */
    private static final Pattern DISCARDED_WAIT =
            Pattern.compile("[;{}]\\s*(//[^\\n]*\\s*)*Wait\\.until\\(");

    @Test
    void theReadmeIsALandingPage() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("README.md"));
        assertThat(lines.size()).as("README.md lines").isLessThanOrEqualTo(README_MAX_LINES);
    }

    @Test
    void theReadmesLinksLeadToFilesAndHeadings() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher m = LINK.matcher(readme);
        List<String> broken = new ArrayList<>();
        int links = 0;
        while (m.find()) {
            String target = m.group(1);
            if (target.contains("://")) continue;
            links++;
            Path file = ROOT.resolve(target);
            if (!Files.exists(file)) {
                broken.add(target);
                continue;
            }
            String anchor = m.group(2);
            if (anchor != null && !anchors(file).contains(anchor))
                broken.add(target + "#" + anchor);
        }
        assertThat(links).isPositive();
        assertThat(broken).as("links in README.md that lead nowhere").isEmpty();
    }

    @Test
    void noMainClassIsOver450Lines() throws IOException {
        List<String> tooLong = new ArrayList<>();
        for (String module : MODULES) {
            Path main = ROOT.resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(main)) continue;
            try (Stream<Path> files = Files.walk(main)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (!f.toString().endsWith(".java")) continue;
                    long lines = Files.readAllLines(f).size();
                    if (lines > CLASS_MAX_LINES) tooLong.add(ROOT.relativize(f) + ": " + lines);
                }
            }
        }
        assertThat(tooLong).as("main classes over %d lines", CLASS_MAX_LINES).isEmpty();
    }

    @Test
    void noTestDiscardsWhetherItsWaitCame() throws IOException {
        List<String> discarded = new ArrayList<>();
        for (String module : MODULES) {
            Path tests = ROOT.resolve(module).resolve("src/test/java");
            if (!Files.isDirectory(tests)) continue;
            try (Stream<Path> files = Files.walk(tests)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (!f.toString().endsWith(".java")) continue;
                    Matcher m = DISCARDED_WAIT.matcher(Files.readString(f));
                    while (m.find()) discarded.add(ROOT.relativize(f) + " at " + m.end());
                }
            }
        }
        assertThat(discarded)
                .as(
                        "Wait.until answers whether the condition came: assert it, or it times out"
                                + " silently")
                .isEmpty();
    }

    /** GitHub's anchors of a Markdown file's headings: lower case, punctuation dropped. */
    private static List<String> anchors(Path markdown) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(markdown)) {
            if (!line.startsWith("#")) continue;
            String title = line.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT);
            out.add(title.replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
        }
        return out;
    }
}
