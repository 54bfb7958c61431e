package dev.aenstream.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.aenstream.sae.SaeFiles;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.Safetensors;
import dev.aenstream.sae.importers.OnnxEncoderImporter;
import dev.aenstream.sae.importers.SaeLensImporter;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.GraphAudit;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The importers read files people download: a safetensors file, a SAELens directory (cfg.json and
 * weights) and an exported ONNX encoder must each be read or refused with an IOException or an
 * IllegalArgumentException naming what is wrong, whatever their bytes.
 */
class ImportersFuzzTest {
    private static final int N = 10;
    private static final int D = 24;

    @TempDir Path dir;

    private static boolean documented(Throwable t) {
        return t instanceof IOException || t instanceof IllegalArgumentException;
    }

    @Test
    void safetensorsFiles() throws Exception {
        Path seed = dir.resolve("seed.safetensors");
        SaeFiles.save(seed, SaeParameters.initialise(N, D, 1), Map.of("arch", "aen"));
        Path file = dir.resolve("fuzzed.safetensors");
        report(
                Fuzzer.run(
                        "safetensors",
                        List.of(Files.readAllBytes(seed)),
                        input -> {
                            Files.write(file, input);
                            SaeFiles.load(file);
                        },
                        ImportersFuzzTest::documented));
    }

    @Test
    void saeLensConfigAndWeights() throws Exception {
        Path sae = dir.resolve("saelens");
        Files.createDirectories(sae);
        byte[] cfg = resource("/fixtures/saelens/cfg.json");
        Files.write(sae.resolve("cfg.json"), cfg);
        Path weights = sae.resolve("sae_weights.safetensors");
        writeWeights(weights);
        byte[] validWeights = Files.readAllBytes(weights);
        report(
                Fuzzer.run(
                        "saelens-cfg",
                        List.of(cfg),
                        input -> {
                            Files.write(sae.resolve("cfg.json"), input);
                            SaeLensImporter.read(sae, 16);
                        },
                        ImportersFuzzTest::documented));
        Files.write(sae.resolve("cfg.json"), cfg);
        report(
                Fuzzer.run(
                        "saelens-weights",
                        List.of(validWeights),
                        input -> {
                            Files.write(weights, input);
                            SaeLensImporter.read(sae, 16);
                        },
                        ImportersFuzzTest::documented));
    }

    @Test
    void onnxEncodersAndTheirAdmission() throws Exception {
        byte[] ours =
                EncoderGraph.build(
                                SaeParameters.initialise(N, D, 2), new EncoderSpec(4, false), "f")
                        .toByteArray();
        byte[] torch = resource("/fixtures/torch_encoder.onnx");
        report(
                Fuzzer.run(
                        "onnx",
                        List.of(ours, torch),
                        input -> {
                            GraphAudit.refusal(OnnxMl.ModelProto.parseFrom(input), 0);
                            OnnxEncoderImporter.wrap(input, 4);
                        },
                        t -> documented(t) || t instanceof InvalidProtocolBufferException));
    }

    private static void writeWeights(Path file) throws IOException {
        Random random = new Random(3);
        Safetensors.write(
                file,
                Map.of(
                        "W_enc", Safetensors.Tensor.ofFloats(gaussian(random, N * D), N, D),
                        "W_dec", Safetensors.Tensor.ofFloats(gaussian(random, D * N), D, N),
                        "b_enc", Safetensors.Tensor.ofFloats(gaussian(random, D), D),
                        "b_dec", Safetensors.Tensor.ofFloats(gaussian(random, N), N)),
                Map.of());
    }

    private static float[] gaussian(Random random, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) v[i] = (float) random.nextGaussian();
        return v;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ImportersFuzzTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    static void report(Fuzzer.Report r) {
        System.out.printf(
                "fuzz %s: %,d inputs, %,d accepted, %,d refused%n",
                r.name(), r.inputs(), r.accepted(), r.refused());
        assertThat(r.inputs()).isPositive();
    }
}
