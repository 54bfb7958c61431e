package dev.aenstream.sae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir Path dir;

    @Test
    void parametersRoundTripThroughAFile() throws IOException {
        SaeParameters params = SaeParameters.initialise(16, 40, 3);
        Path file = dir.resolve("sae.safetensors");
        SaeFiles.save(file, params, Map.of("arch", "aen"));
        assertThat(SaeFiles.load(file)).isEqualTo(params);
        assertThat(Safetensors.read(file).metadata()).containsEntry("arch", "aen");
        // The format wants 8-byte aligned data.
        long headerLength =
                java.nio.ByteBuffer.wrap(Files.readAllBytes(file), 0, 8)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .getLong();
        assertThat(headerLength % 8).isZero();
    }

    @Test
    void initialisationFollowsTheSpec() {
        SaeParameters p = SaeParameters.initialise(64, 128, 11);
        double encBound = 1 / Math.sqrt(64);
        for (float w : p.wEnc()) assertThat(Math.abs(w)).isLessThanOrEqualTo((float) encBound);
        for (float b : p.bEnc()) assertThat(Math.abs(b)).isLessThanOrEqualTo((float) encBound);
        for (float b : p.bDec()) assertThat(b).isZero();
        for (int j = 0; j < p.d(); j++) {
            double sq = 0;
            for (int i = 0; i < p.n(); i++) sq += Math.pow(p.wDec()[i * p.d() + j], 2);
            assertThat(Math.sqrt(sq)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
        assertThat(SaeParameters.initialise(64, 128, 11)).isEqualTo(p);
        assertThat(SaeParameters.initialise(64, 128, 12)).isNotEqualTo(p);
    }

    @Test
    void aTruncatedFileIsRefusedWithItsName() throws IOException {
        Path file = dir.resolve("sae.safetensors");
        SaeFiles.save(file, SaeParameters.initialise(8, 8, 1), Map.of());
        byte[] bytes = Files.readAllBytes(file);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 10));
        assertThatThrownBy(() -> SaeFiles.load(cut))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cut.safetensors");
        Files.write(cut, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> SaeFiles.load(cut)).isInstanceOf(IOException.class);
    }
}
