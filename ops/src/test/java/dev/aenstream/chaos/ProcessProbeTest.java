package dev.aenstream.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe against a child JVM that holds a known amount of heap and known open files. */
class ProcessProbeTest {
    private static final int HELD_MIB = 64;
    private static final int FILES = 20;

    @Test
    void readsLiveHeapResidentMemoryThreadsAndOpenFilesOfAnotherJvm(@TempDir Path dir)
            throws Exception {
        Process child =
                new ProcessBuilder(
                                List.of(
                                        ProcessHandle.current().info().command().orElse("java"),
                                        "-Xmx256m",
                                        // As the soak's children run.
                                        "-XX:+UseSerialGC",
                                        "-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"),
                                        "-cp",
                                        System.getProperty("java.class.path"),
                                        Holder.class.getName(),
                                        dir.toString()))
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("child.log").toFile())
                        .start();
        try (ProcessProbe probe = new ProcessProbe(child.pid())) {
            Path ready = dir.resolve("ready");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(ready) && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(ready).as("the child holds its heap and files").exists();
            ProcessProbe.Sample s = null;
            for (int i = 0; i < 20 && (s == null || s.liveHeapBytes() < 0); i++) {
                s = probe.sample(i);
                if (s.liveHeapBytes() < 0) Thread.sleep(250);
            }
            assertThat(s.liveHeapBytes())
                    .isBetween((long) HELD_MIB << 20, (long) (HELD_MIB + 32) << 20);
            assertThat(s.rssBytes()).isGreaterThan((long) HELD_MIB << 20);
            assertThat(s.threads()).isGreaterThan(1);
            assertThat(s.openFiles()).isGreaterThanOrEqualTo(FILES);
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        try (ProcessProbe gone = new ProcessProbe(child.pid())) {
            ProcessProbe.Sample s = gone.sample(0);
            assertThat(s.liveHeapBytes()).isEqualTo(-1);
            assertThat(s.openFiles()).isEqualTo(-1);
        }
    }

    /** The child: holds HELD_MIB of heap and FILES open files until killed. */
    public static final class Holder {
        static byte[][] held;
        static List<java.io.InputStream> open = new java.util.ArrayList<>();

        public static void main(String[] args) throws IOException, InterruptedException {
            held = new byte[HELD_MIB * 4][];
            for (int i = 0; i < held.length; i++) held[i] = new byte[1 << 18];
            Path dir = Path.of(args[0]);
            for (int i = 0; i < FILES; i++) {
                Path f = Files.writeString(dir.resolve("f" + i), "x");
                open.add(Files.newInputStream(f));
            }
            Files.writeString(dir.resolve("ready"), "ok");
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
