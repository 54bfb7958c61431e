package dev.aenstream.sae.importers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.sae.OnnxChecker;
import dev.aenstream.sae.ReferenceEncoder;
import dev.aenstream.sae.Safetensors;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Importers on files written by fixtures/importers.py, against PyTorch's codes and our plain-Java
 * forward pass.
 */
class ImportersIT {
    @TempDir Path dir;

    private static Path fixture(String name) throws Exception {
        return Paths.get(ImportersIT.class.getResource("/fixtures/" + name).toURI());
    }

    private static void assertCodes(SparseCodes codes, float[] expected, int d) {
        for (int r = 0; r < codes.rows(); r++) {
            float[] got = codes.denseRow(r);
            for (int j = 0; j < d; j++) {
                double want = expected[r * d + j];
                assertThat((double) got[j])
                        .as("row %d feature %d", r, j)
                        .isCloseTo(
                                want,
                                org.assertj.core.data.Offset.offset(
                                        1e-5 * Math.max(1, Math.abs(want))));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"saelens", "saelens_no_bdec"})
    void saeLensCodesEqualPyTorchsAndTheDirectComputation(String name) throws Exception {
        Path sae = fixture(name);
        assertThat(SaeLensImporter.looksLike(sae)).isTrue();
        ImportedSae imported = SaeLensImporter.read(sae, 1 << 20);
        Safetensors.Contents expected = Safetensors.read(sae.resolve("expected.safetensors"));
        float[] x = expected.require("x").toFloats();
        float[] h = expected.require("h").toFloats();
        int n = imported.params().n();
        int d = imported.params().d();
        int rows = x.length / n;
        try (SaeEncoder encoder =
                SaeEncoder.open(imported.params(), imported.spec(), Device.CPU, 1)) {
            assertCodes(encoder.encode(FloatBuffer.wrap(x), rows), h, d);
        }
        for (int r = 0; r < rows; r++) {
            double[] direct = ReferenceEncoder.encode(imported.params(), x, r * n, false);
            for (int j = 0; j < d; j++)
                assertThat(direct[j])
                        .isCloseTo(h[r * d + j], org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    /**
     * A JumpReLU SAE (SAELens "jumprelu", Gemma Scope's kind): PyTorch's codes, where thresholds
     * cut features that a plain ReLU would keep.
     */
    @Test
    void saeLensJumpReluCodesEqualPyTorchs() throws Exception {
        Path sae = fixture("saelens_jumprelu");
        SaeSources.EncoderModel model = SaeSources.load(sae, 1 << 20, false);
        Safetensors.Contents expected = Safetensors.read(sae.resolve("expected.safetensors"));
        float[] x = expected.require("x").toFloats();
        float[] h = expected.require("h").toFloats();
        int rows = x.length / model.n();
        try (SaeEncoder encoder =
                SaeEncoder.open(model.model(), model.n(), model.d(), model.kMax(), Device.CPU, 1)) {
            assertCodes(encoder.encode(FloatBuffer.wrap(x), rows), h, model.d());
        }
        // The thresholds matter: a plain ReLU of the same weights keeps more features.
        ImportedSae imported = SaeLensImporter.read(sae, 1 << 20);
        int cut = 0;
        for (int r = 0; r < rows; r++) {
            double[] relu = ReferenceEncoder.encode(imported.params(), x, r * model.n(), false);
            for (int j = 0; j < model.d(); j++) if (relu[j] > 0 && h[r * model.d() + j] == 0) cut++;
        }
        assertThat(cut).as("features the thresholds cut").isGreaterThan(rows);
    }

    /**
     * Gated SAEs (with and without b_dec applied to the input) and a BatchTopK SAE at its inference
     * threshold, served as JumpReLUs: PyTorch's codes, computed the way SAELens computes them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"saelens_gated", "saelens_gated_no_bdec", "saelens_batchtopk"})
    void saeLensGatedAndBatchTopKCodesEqualPyTorchs(String name) throws Exception {
        Path sae = fixture(name);
        SaeSources.EncoderModel model = SaeSources.load(sae, 1 << 20, false);
        Safetensors.Contents expected = Safetensors.read(sae.resolve("expected.safetensors"));
        float[] x = expected.require("x").toFloats();
        float[] h = expected.require("h").toFloats();
        int rows = x.length / model.n();
        int fired = 0;
        for (float v : h) if (v > 0) fired++;
        assertThat(fired).as("codes that fire").isGreaterThan(rows).isLessThan(h.length);
        try (SaeEncoder encoder =
                SaeEncoder.open(model.model(), model.n(), model.d(), model.kMax(), Device.CPU, 1)) {
            assertCodes(encoder.encode(FloatBuffer.wrap(x), rows), h, model.d());
        }
    }

    @Test
    void aBatchTopKSaeWithoutItsInferenceThresholdIsRefused() throws Exception {
        Files.writeString(dir.resolve("cfg.json"), "{\"architecture\": \"batchtopk\", \"k\": 5}");
        Files.copy(
                fixture("saelens").resolve("sae_weights.safetensors"),
                dir.resolve("sae_weights.safetensors"));
        assertThatThrownBy(() -> SaeLensImporter.read(dir, 8))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("topk_threshold")
                .hasMessageContaining("depend on the batch");
    }

    @Test
    void sparsifyCodesAreTheTopKOfTheDirectComputation() throws Exception {
        Path sae = fixture("sparsify");
        assertThat(SparsifyImporter.looksLike(sae)).isTrue();
        ImportedSae imported = SparsifyImporter.read(sae);
        assertThat(imported.spec().kMax()).isEqualTo(5);
        Safetensors.Contents expected = Safetensors.read(sae.resolve("expected.safetensors"));
        float[] x = expected.require("x").toFloats();
        try (SaeEncoder encoder =
                SaeEncoder.open(imported.params(), imported.spec(), Device.CPU, 1)) {
            assertCodes(
                    encoder.encode(FloatBuffer.wrap(x), x.length / imported.params().n()),
                    expected.require("h").toFloats(),
                    imported.params().d());
        }
    }

    @Test
    void anEncoderExportedFromPyTorchRunsAsItIs() throws Exception {
        byte[] exported = Files.readAllBytes(fixture("torch_encoder.onnx"));
        OnnxEncoderImporter.Wrapped wrapped = OnnxEncoderImporter.wrap(exported, 1000);
        assertThat(wrapped.n()).isEqualTo(10);
        assertThat(wrapped.d()).isEqualTo(24);
        Path file = dir.resolve("wrapped.onnx");
        Files.write(file, wrapped.model());
        OnnxChecker.check(file);
        Safetensors.Contents expected =
                Safetensors.read(fixture("torch_encoder_expected.safetensors"));
        float[] x = expected.require("x").toFloats();
        try (SaeEncoder encoder =
                SaeEncoder.open(
                        wrapped.model(), wrapped.n(), wrapped.d(), wrapped.kMax(), Device.CPU, 1)) {
            assertCodes(
                    encoder.encode(FloatBuffer.wrap(x), x.length / 10),
                    expected.require("h").toFloats(),
                    24);
        }
    }

    @Test
    void filesThatAreNotWhatTheySeemAreRefusedClearly() throws Exception {
        assertThatThrownBy(() -> OnnxEncoderImporter.wrap(new byte[] {1, 2, 3}, 8))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("ONNX");
        Files.writeString(dir.resolve("cfg.json"), "{\"architecture\": \"jumprelu\"}");
        Files.copy(
                fixture("saelens").resolve("sae_weights.safetensors"),
                dir.resolve("sae_weights.safetensors"));
        assertThatThrownBy(() -> SaeLensImporter.read(dir, 8))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("jumprelu");
    }
}
