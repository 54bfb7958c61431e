package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.sae.penalty.Penalties;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointDurabilityTest {
    private static final int N = 4;
    private static final int D = 8;
    private final TrainConfig config =
            TrainConfig.synthetic(Penalties.parse("l1"), N, D).with(TrainConfig.BATCH, 2);

    @TempDir Path dir;

    private Path save(long step) throws Exception {
        TrainState s = TrainState.initial(N, D, 1);
        TrainState at = new TrainState(step, s.params(), s.adamM(), s.adamV(), s.ema());
        return Checkpoints.save(dir, "sae", at, config, step * 2, new long[D], Map.of());
    }

    private static String name(long step) {
        return String.format("step-%012d.safetensors", step);
    }

    @Test
    void pruningNeverRemovesWhatAManifestNames() throws Exception {
        save(300);
        save(400);
        // A run resumed from an older checkpoint writes a lower step than the files on disk.
        save(100);
        assertThat(Checkpoints.latest(dir, "sae").state().step()).isEqualTo(100);
        try (var files = Files.list(dir.resolve("sae"))) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .filteredOn(f -> f.startsWith("step-"))
                    .containsExactlyInAnyOrder(name(100), name(400));
        }
    }

    @Test
    void anUnreadableNewestCheckpointFallsBackToThePreviousOne() throws Exception {
        save(10);
        Path newest = save(20);
        try (RandomAccessFile f = new RandomAccessFile(newest.toFile(), "rw")) {
            f.seek(f.length() - 3);
            f.write(new byte[] {9, 9, 9});
        }
        assertThat(Checkpoints.latest(dir, "sae").state().step()).isEqualTo(10);
        Files.delete(newest);
        assertThat(Checkpoints.latest(dir, "sae").state().step()).isEqualTo(10);
    }

    @Test
    void partialWritesAreClearedAndOtherFilesLeftAlone() throws Exception {
        Path sae = dir.resolve("sae");
        Files.createDirectories(sae);
        Path partial = sae.resolve(name(5) + ".partial");
        Path notes = sae.resolve("step-notes.txt");
        Files.writeString(partial, "cut short by a crash");
        Files.writeString(notes, "someone's notes");
        save(6);
        assertThat(partial).doesNotExist();
        assertThat(notes).exists();
        assertThat(sae.resolve(name(6))).exists();
    }
}
