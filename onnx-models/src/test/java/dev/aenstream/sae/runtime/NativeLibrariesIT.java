package dev.aenstream.sae.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JVMs that load ONNX Runtime, as every encoder and trainer does, leave nothing in the temp folder
 * but the one shared copy of its libraries: not when they end, not when they are killed, and the
 * next one reuses the copy.
 */
class NativeLibrariesIT {
    @TempDir Path tmp;

    @Test
    void aRunLeavesNothingAndTheNextReusesTheCopy() throws Exception {
        Process first = start();
        assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).isZero();
        assertThat(leftovers()).as("folders ONNX Runtime's own loader leaves").isEmpty();
        Path library = library();
        long copied = Files.getLastModifiedTime(library).toMillis();

        Process second = start();
        assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(second.exitValue()).isZero();
        assertThat(leftovers()).isEmpty();
        assertThat(Files.getLastModifiedTime(library).toMillis())
                .as("the copy is reused, not made again")
                .isEqualTo(copied);
    }

    @Test
    void aKilledJvmLeavesNoCopyOfItsOwn() throws Exception {
        Process held = start("hold");
        try (BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(held.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("loaded ONNX Runtime")) {}
            assertThat(line).as("the child loaded ONNX Runtime").isNotNull();
            held.destroyForcibly();
            assertThat(held.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(leftovers()).as("a killed JVM's copy of ONNX Runtime").isEmpty();
        try (Stream<Path> files = Files.walk(tmp)) {
            assertThat(files.filter(f -> f.getFileName().toString().startsWith("libonnxruntime.")))
                    .as("one copy of the library in all, the shared one")
                    .containsExactly(library());
        }
    }

    private Process start(String... args) throws Exception {
        List<String> command =
                new java.util.ArrayList<>(
                        List.of(
                                ProcessHandle.current().info().command().orElse("java"),
                                "-Djava.io.tmpdir=" + tmp,
                                "-XX:ErrorFile=" + tmp.resolve("hs_err_pid%p.log"),
                                "-cp",
                                System.getProperty("java.class.path"),
                                LoadOnnxRuntime.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** What ONNX Runtime's own loader makes: a folder per JVM. */
    private List<Path> leftovers() throws Exception {
        try (Stream<Path> files = Files.list(tmp)) {
            return files.filter(f -> f.getFileName().toString().startsWith("onnxruntime-java"))
                    .toList();
        }
    }

    private Path library() throws Exception {
        Path dir = NativeLibraries.sharedCopy(tmp);
        assertThat(dir).isNotNull();
        return dir.resolve(System.mapLibraryName("onnxruntime"));
    }
}
