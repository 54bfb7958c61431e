package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.AuxK;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.runtime.Device;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CheckpointResumeTest {
    @TempDir Path dir;

    private static float[] batch(long index, int rows, int n) {
        SplittableRandom random = new SplittableRandom(1000 + index);
        float[] x = new float[rows * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) (random.nextGaussian() * 2);
        return x;
    }

    /**
     * The adaptive weights' EMA and, for auxk, the tokens since firing (dead after two batches, so
     * the auxiliary loss acts on both sides of the checkpoint) must survive it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"aen", "auxk"})
    void resumingAtStepSGivesTheParametersOfAnUninterruptedRunAtSPlusK(String arch)
            throws Exception {
        int n = 16, d = 40, rows = 32, s = 7, k = 6;
        TrainConfig config =
                TrainConfig.synthetic(Penalties.parse(arch), n, d)
                        .with(TrainConfig.BATCH, rows)
                        .toBuilder()
                        .set(AdaptiveWeights.T_WARM, 4)
                        .set(AdaptiveWeights.T_RAMP, 5)
                        .set(TopK.K, 3)
                        .set(AuxK.DEAD_TOKENS, 2L * rows)
                        .build();
        TrainState uninterrupted;
        try (Trainer trainer = Trainer.start(arch, config, Device.CPU, 1)) {
            for (long i = 0; i < s + k; i++) trainer.step(batch(i, rows, n), 0, rows);
            uninterrupted = trainer.trainStep().state();
        }
        if (arch.equals("auxk")) {
            assertThat(uninterrupted.sinceFired()).contains(0f);
            float longest = 0;
            for (float t : uninterrupted.sinceFired()) longest = Math.max(longest, t);
            assertThat(longest).isGreaterThan(2f * rows);
        }
        try (Trainer first = Trainer.start(arch, config, Device.CPU, 1)) {
            for (long i = 0; i < s; i++) first.step(batch(i, rows, n), 0, rows);
            first.checkpoint(dir, Map.of("note", "at s"));
        }
        Checkpoints.Checkpoint cp = Checkpoints.latest(dir, arch);
        assertThat(cp.state().step()).isEqualTo(s);
        assertThat(cp.config()).isEqualTo(config);
        assertThat(cp.extra()).containsEntry("note", "at s");
        try (Trainer resumed = Trainer.resume(arch, cp, Device.CPU, 1)) {
            for (long i = s; i < s + k; i++) resumed.step(batch(i, rows, n), 0, rows);
            assertThat(resumed.trainStep().state()).isEqualTo(uninterrupted);
            assertThat(resumed.tokens()).isEqualTo((long) (s + k) * rows);
        }
    }

    @Test
    void aCorruptedCheckpointIsRefused() throws Exception {
        TrainConfig config =
                TrainConfig.languageModel(Penalties.parse("topk"), 8, 16)
                        .with(TrainConfig.BATCH, 8)
                        .with(TopK.K, 4);
        try (Trainer trainer = Trainer.start("topk", config, Device.CPU, 1)) {
            trainer.step(batch(0, 8, 8), 0, 8);
            Path file = trainer.checkpoint(dir, Map.of());
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.seek(raf.length() - 20);
                raf.write(new byte[] {1, 2, 3, 4});
            }
            assertThatThrownBy(() -> Checkpoints.load(file))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("checksum");
        }
    }

    @Test
    void onlyTheTwoNewestCheckpointsAreKept() throws Exception {
        TrainConfig config =
                TrainConfig.synthetic(Penalties.parse("l1"), 8, 16).with(TrainConfig.BATCH, 8);
        try (Trainer trainer = Trainer.start("l1", config, Device.CPU, 1)) {
            for (int i = 0; i < 4; i++) {
                trainer.step(batch(i, 8, 8), 0, 8);
                trainer.checkpoint(dir, Map.of());
            }
        }
        try (var files = Files.list(dir.resolve("l1"))) {
            assertThat(files.filter(f -> f.getFileName().toString().startsWith("step-")).count())
                    .isEqualTo(2);
        }
        assertThat(Checkpoints.latest(dir, "l1").state().step()).isEqualTo(4);
    }
}
