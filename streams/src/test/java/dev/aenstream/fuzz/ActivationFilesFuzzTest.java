package dev.aenstream.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.produce.replay.ActivationFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stored activations for replay (.npy): opened with rows that lie in the file, or an IOException.
 */
class ActivationFilesFuzzTest {
    private static final int ROWS = 3;
    private static final int N = 8;

    @TempDir Path dir;

    @Test
    void npyFilesOpenWholeOrAreRefused() throws Exception {
        Path file = dir.resolve("fuzzed.npy");
        Fuzzer.Report report =
                Fuzzer.run(
                        "npy",
                        List.of(npy("<f4", 4), npy("<f2", 2)),
                        input -> {
                            Files.write(file, input);
                            ActivationFile f = ActivationFile.open(file, null);
                            // Every row it says it has is there.
                            if (f.rows() > 0) f.rows(f.rows() - 1, 1);
                        },
                        t -> t instanceof IOException || t instanceof IllegalArgumentException);
        System.out.printf(
                "fuzz %s: %,d inputs, %,d accepted, %,d refused%n",
                report.name(), report.inputs(), report.accepted(), report.refused());
        assertThat(report.accepted()).isPositive();
    }

    @Test
    void safetensorsFilesOpenWholeOrAreRefused() throws Exception {
        Path seed = dir.resolve("seed.safetensors");
        float[] values = new float[ROWS * N];
        for (int i = 0; i < values.length; i++) values[i] = i * 0.25f;
        dev.aenstream.sae.Safetensors.write(
                seed,
                java.util.Map.of(
                        "acts", dev.aenstream.sae.Safetensors.Tensor.ofFloats(values, ROWS, N)),
                java.util.Map.of());
        Path file = dir.resolve("fuzzed.safetensors");
        Fuzzer.Report report =
                Fuzzer.run(
                        "activation-safetensors",
                        List.of(Files.readAllBytes(seed)),
                        input -> {
                            Files.write(file, input);
                            ActivationFile f = ActivationFile.open(file, null);
                            if (f.rows() > 0) f.rows(f.rows() - 1, 1);
                        },
                        t -> t instanceof IOException || t instanceof IllegalArgumentException);
        System.out.printf(
                "fuzz %s: %,d inputs, %,d accepted, %,d refused%n",
                report.name(), report.inputs(), report.accepted(), report.refused());
        assertThat(report.accepted()).isPositive();
    }

    /** A NumPy 1.0 file of ROWS x N values of {@code descr}. */
    private static byte[] npy(String descr, int width) {
        String dict =
                "{'descr': '"
                        + descr
                        + "', 'fortran_order': False, 'shape': ("
                        + ROWS
                        + ", "
                        + N
                        + "), }";
        int unpadded = 10 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        ByteBuffer b =
                ByteBuffer.allocate(10 + header.length() + ROWS * N * width)
                        .order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93)
                .put("NUMPY".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 1)
                .put((byte) 0);
        b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < ROWS * N; i++) {
            if (width == 4) b.putFloat(i * 0.5f);
            else b.putShort((short) 0x3C00);
        }
        return b.array();
    }
}
