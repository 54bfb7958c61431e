package dev.aenstream.sae.importers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.sae.SaeFiles;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.Safetensors;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every export layout read back by its importer gives the same parameters, spec and codes; what a
 * layout cannot carry is refused by name.
 */
class ExportersIT {
    private static final int ROWS = 16;

    @TempDir Path dir;

    private static Path fixture(String name) throws Exception {
        return Paths.get(ExportersIT.class.getResource("/fixtures/" + name).toURI());
    }

    private static String architecture(Path sae) throws java.io.IOException {
        return new ObjectMapper()
                .readTree(sae.resolve("cfg.json").toFile())
                .get("architecture")
                .asText();
    }

    private static SparseCodes codes(ImportedSae sae) throws Exception {
        int n = sae.params().n();
        SplittableRandom random = new SplittableRandom(5);
        float[] x = new float[ROWS * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        var weights = EncoderGraph.Weights.of(sae.params()).withThreshold(sae.threshold());
        int k = Math.min(sae.spec().kMax(), sae.params().d());
        try (SaeEncoder encoder =
                SaeEncoder.open(
                        EncoderGraph.packaged(weights, sae.spec(), "sae"),
                        n,
                        sae.params().d(),
                        k,
                        Device.CPU,
                        1)) {
            return encoder.encode(FloatBuffer.wrap(x), ROWS);
        }
    }

    private static void assertSame(ImportedSae back, ImportedSae original) throws Exception {
        SaeParameters a = back.params();
        SaeParameters b = original.params();
        assertThat(a.wEnc()).isEqualTo(b.wEnc());
        assertThat(a.bEnc()).isEqualTo(b.bEnc());
        assertThat(a.wDec()).isEqualTo(b.wDec());
        assertThat(a.bDec()).isEqualTo(b.bDec());
        assertThat(back.spec()).isEqualTo(original.spec());
        assertThat(back.threshold()).isEqualTo(original.threshold());
        SparseCodes x = codes(back);
        SparseCodes y = codes(original);
        assertThat(x.indices()).isEqualTo(y.indices());
        assertThat(x.values()).isEqualTo(y.values());
        assertThat(x.activeCounts()).isEqualTo(y.activeCounts());
    }

    @Test
    void aTrainedReluSaeGoesToSaeLensAndBackUnchanged() throws Exception {
        Path checkpoint = dir.resolve("sae.safetensors");
        SaeFiles.save(checkpoint, SaeParameters.initialise(10, 24, 3), Map.of());
        ImportedSae original = SaeSources.imported(checkpoint, 8);
        Path out = dir.resolve("saelens");
        SaeExporters.saeLens(original, out, "gpt2", "blocks.6.hook_resid_post");

        JsonNode cfg = new ObjectMapper().readTree(out.resolve("cfg.json").toFile());
        assertThat(cfg.get("architecture").asText()).isEqualTo("standard");
        assertThat(cfg.get("d_in").asInt()).isEqualTo(10);
        assertThat(cfg.get("d_sae").asInt()).isEqualTo(24);
        assertThat(cfg.get("hook_name").asText()).isEqualTo("blocks.6.hook_resid_post");
        assertThat(cfg.get("model_name").asText()).isEqualTo("gpt2");
        Safetensors.Contents w = Safetensors.read(out.resolve("sae_weights.safetensors"));
        assertThat(w.require("W_enc").shape()).containsExactly(10, 24);
        assertThat(w.require("W_dec").shape()).containsExactly(24, 10);
        assertThat(w.require("b_enc").shape()).containsExactly(24);
        assertThat(w.require("b_dec").shape()).containsExactly(10);

        ImportedSae back = SaeLensImporter.read(out, 8);
        assertSame(back, original);
        assertThat(back.hookName()).isEqualTo("blocks.6.hook_resid_post");
        // Through the directory as --sae-file takes it, too.
        assertSame(SaeSources.imported(out, 8), original);
    }

    @Test
    void anSaeOfNormalisedRowsKeepsItsNormalisationThroughSaeLens() throws Exception {
        ImportedSae original =
                new ImportedSae(
                        SaeParameters.initialise(10, 24, 4),
                        new EncoderSpec(24, true),
                        "an SAE of rows at norm sqrt(n)");
        Path out = dir.resolve("saelens-normalised");
        SaeExporters.saeLens(original, out, "minilm", "layer.3");
        JsonNode cfg = new ObjectMapper().readTree(out.resolve("cfg.json").toFile());
        // SAELens's own name for x * sqrt(d_in) / |x| in, and its inverse out.
        assertThat(cfg.get("normalize_activations").asText()).isEqualTo("constant_norm_rescale");
        assertSame(SaeLensImporter.read(out, 24), original);
        assertThat(SaeSources.load(out, 24, false).model().graph())
                .as("the encoder --sae-file serves normalises")
                .isEqualTo(SaeSources.load(out, 24, true).model().graph());
    }

    @Test
    void saeLensAndSparsifySaesGoOutAsTheyCameIn() throws Exception {
        ImportedSae lens = SaeLensImporter.read(fixture("saelens"), 1 << 20);
        Path lensOut = dir.resolve("lens");
        SaeExporters.saeLens(lens, lensOut, lens.modelName(), lens.hookName());
        assertSame(SaeLensImporter.read(lensOut, 1 << 20), lens);
        assertThat(SaeLensImporter.read(lensOut, 1 << 20).modelName()).isEqualTo("tiny");

        ImportedSae topk = SparsifyImporter.read(fixture("sparsify"));
        Path sparsifyOut = dir.resolve("blocks.2.mlp");
        SaeExporters.sparsify(topk, sparsifyOut);
        ImportedSae back = SparsifyImporter.read(sparsifyOut);
        assertSame(back, topk);
        assertThat(back.hookName()).isEqualTo("blocks.2.mlp");

        // A TopK SAE in SAELens' layout keeps its k.
        Path topkLens = dir.resolve("topk-lens");
        SaeExporters.saeLens(topk, topkLens, "m", "h");
        assertThat(architecture(topkLens)).isEqualTo("topk");
        assertSame(SaeLensImporter.read(topkLens, 1 << 20), topk);
    }

    @Test
    void aJumpReluSaeGoesOutWithItsThresholds() throws Exception {
        ImportedSae jump = SaeLensImporter.read(fixture("saelens_jumprelu"), 1 << 20);
        assertThat(jump.threshold()).hasSize(jump.params().d());
        Path out = dir.resolve("jump");
        SaeExporters.saeLens(jump, out, jump.modelName(), jump.hookName());
        assertThat(architecture(out)).isEqualTo("jumprelu");
        assertSame(SaeLensImporter.read(out, 1 << 20), jump);
        assertThatThrownBy(() -> SaeExporters.sparsify(jump, dir.resolve("no")))
                .hasMessageContaining("TopK SAEs only");
    }

    @Test
    void anOnnxExportReadBackEncodesTheSame() throws Exception {
        Path checkpoint = dir.resolve("sae.safetensors");
        SaeFiles.save(checkpoint, SaeParameters.initialise(12, 40, 9), Map.of());
        SaeSources.EncoderModel model = SaeSources.load(checkpoint, 6, false);
        Path onnx = dir.resolve("out/encoder.onnx");
        Files.createDirectories(onnx.getParent());
        model.model().writeFiles(onnx);
        SaeSources.EncoderModel back = SaeSources.load(onnx, 6, false);
        SplittableRandom random = new SplittableRandom(2);
        float[] x = new float[ROWS * 12];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        SparseCodes a;
        SparseCodes b;
        try (SaeEncoder e = SaeEncoder.open(model.model(), 12, 40, model.kMax(), Device.CPU, 1)) {
            a = e.encode(FloatBuffer.wrap(x), ROWS);
        }
        try (SaeEncoder e = SaeEncoder.open(back.model(), 12, 40, back.kMax(), Device.CPU, 1)) {
            b = e.encode(FloatBuffer.wrap(x), ROWS);
        }
        assertThat(b.indices()).isEqualTo(a.indices());
        assertThat(b.values()).isEqualTo(a.values());
        assertThat(b.activeCounts()).isEqualTo(a.activeCounts());
        // The exported encoder goes on to SAELens' layout with the parameters it was made from.
        ImportedSae fromOnnx = SaeSources.imported(onnx, 6);
        assertThat(fromOnnx.params().wEnc())
                .isEqualTo(SaeSources.imported(checkpoint, 6).params().wEnc());
        assertThat(fromOnnx.params().wDec())
                .isEqualTo(SaeSources.imported(checkpoint, 6).params().wDec());
    }

    @Test
    void whatALayoutCannotCarryIsRefusedByName() throws Exception {
        Path checkpoint = dir.resolve("sae.safetensors");
        SaeFiles.save(checkpoint, SaeParameters.initialise(10, 24, 3), Map.of());
        ImportedSae relu = SaeSources.imported(checkpoint, 8);
        assertThatThrownBy(() -> SaeExporters.sparsify(relu, dir.resolve("no")))
                .hasMessageContaining("TopK SAEs only");
        assertThatThrownBy(() -> SaeSources.imported(fixture("torch_encoder.onnx"), 8))
                .hasMessageContaining("no decoder");

        for (String option :
                new String[] {
                    "\"activation\": \"groupmax\"",
                    "\"skip_connection\": true",
                    "\"transcode\": true"
                }) {
            Path sae = dir.resolve("sparsify-" + option.hashCode());
            Files.createDirectories(sae);
            Files.copy(
                    fixture("sparsify").resolve("sae.safetensors"), sae.resolve("sae.safetensors"));
            Files.writeString(sae.resolve("cfg.json"), "{\"k\": 5, \"d_in\": 10, " + option + "}");
            String name = option.substring(1, option.indexOf('"', 1));
            assertThatThrownBy(() -> SparsifyImporter.read(sae)).hasMessageContaining(name);
        }
    }
}
