package dev.aenstream.sae.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.sae.OnnxChecker;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.importers.SaeSources;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packaged encoders (weights as ONNX external data) give the codes of the same encoder with every
 * tensor inside its graph; onnx's own loader and checker read the files we write; a graph may
 * reference only its own package's weights.
 */
class OnnxPackageIT {
    /** W_enc of 64 x 4,096 floats is 1 MiB: the smallest SAE whose weights travel outside. */
    private static final int N = 64;

    private static final int D = 4096;
    private static final int K = 16;
    private static final int ROWS = 8;
    private final SaeParameters params = SaeParameters.initialise(N, D, 7);
    private final EncoderSpec spec = new EncoderSpec(K, false);

    @Test
    void aPackagedEncoderGivesTheCodesOfTheSelfContainedOne() throws Exception {
        OnnxPackage packaged =
                EncoderGraph.packaged(
                        EncoderGraph.Weights.of(params).withDecoder(SaeDecoder.of(params)),
                        spec,
                        "sae_encoder");
        assertThat(packaged.selfContained()).isFalse();
        assertThat(packaged.weightsStart() % OnnxPackage.ALIGN).isZero();
        assertThat(packaged.graph().length).as("the graph holds no weights").isLessThan(64 * 1024);
        assertThat(packaged.sizeBytes())
                .isGreaterThan(2L * N * D * Float.BYTES)
                .isEqualTo(packaged.weightsStart() + packaged.weightsBytes());
        assertThat(OnnxPackage.externalRefusal(parse(packaged.graph()), packaged.weightsBytes()))
                .isNull();

        try (SaeEncoder inline =
                        SaeEncoder.open(
                                EncoderGraph.build(params, spec, "inline").toByteArray(),
                                N,
                                D,
                                K,
                                Device.CPU,
                                1);
                SaeEncoder external = SaeEncoder.open(packaged, N, D, K, Device.CPU, 1)) {
            FloatBuffer x = rows();
            assertSameCodes(external.encode(x, ROWS), inline.encode(x, ROWS));
        }
    }

    @Test
    void theStreamHoldsTheDecoderAndTheFilesPassOnnxsChecker(@TempDir Path dir) throws Exception {
        SaeDecoder decoder = SaeDecoder.of(params);
        OnnxPackage packaged =
                EncoderGraph.packaged(
                        EncoderGraph.Weights.of(params).withDecoder(decoder), spec, "sae_encoder");
        Path stream = dir.resolve("stream.bin");
        try (FileChannel out =
                FileChannel.open(stream, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            packaged.writeTo(out);
        }
        assertThat(Files.size(stream)).isEqualTo(packaged.sizeBytes());
        SaeDecoder read =
                DecoderTensors.read(parse(packaged.graph()), stream, packaged.weightsStart());
        float[] expected = new float[N];
        float[] actual = new float[N];
        SparseCodes codes =
                new SparseCodes(
                        1,
                        D,
                        new int[] {0, 3},
                        new int[] {5, 700, 4095},
                        new float[] {1.5f, -0.25f, 2f},
                        new int[] {3});
        decoder.decode(codes, 0, expected);
        read.decode(codes, 0, actual);
        assertThat(actual).containsExactly(expected);

        Path model = dir.resolve("exported.onnx");
        packaged.writeFiles(model);
        assertThat(dir.resolve("exported.onnx.data")).exists();
        OnnxChecker.check(model);
    }

    @Test
    void anEncoderExportedElsewhereWithExternalDataIsAdopted(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("dense.onnx");
        dense().writeFiles(model);
        assertThat(dir.resolve("dense.onnx.data")).exists();

        SaeSources.EncoderModel imported = SaeSources.load(model, K, false);
        assertThat(imported.model().selfContained()).isFalse();
        try (SaeEncoder inline =
                        SaeEncoder.open(
                                EncoderGraph.build(params, spec, "inline").toByteArray(),
                                N,
                                D,
                                K,
                                Device.CPU,
                                1);
                SaeEncoder adopted =
                        SaeEncoder.open(
                                imported.model(),
                                imported.n(),
                                imported.d(),
                                imported.kMax(),
                                Device.CPU,
                                1)) {
            FloatBuffer rows = rows();
            assertSameCodes(adopted.encode(rows, ROWS), inline.encode(rows, ROWS));
        }
    }

    @Test
    void aGraphMayReferenceOnlyItsOwnWeights() throws Exception {
        OnnxPackage packaged = EncoderGraph.packaged(EncoderGraph.Weights.of(params), spec, "e");
        OnnxMl.ModelProto graph = parse(packaged.graph());
        long weights = packaged.weightsBytes();
        assertThat(OnnxPackage.externalRefusal(graph, weights)).isNull();
        assertThat(OnnxPackage.externalRefusal(graph, 0))
                .as("a self-contained version has no weights to reference")
                .contains("W_enc");
        assertThat(OnnxPackage.externalRefusal(graph, weights - 1))
                .contains("lies outside")
                .contains("W_enc");
        assertThat(
                        OnnxPackage.externalRefusal(
                                parse(
                                        OnnxPackage.relocate(
                                                packaged.graph(), "../../etc/passwd", 0)),
                                weights))
                .contains("'../../etc/passwd'");
        OnnxMl.ModelProto shifted = parse(OnnxPackage.relocate(packaged.graph(), "weights.bin", 8));
        assertThat(OnnxPackage.externalRefusal(shifted, weights)).contains("lies outside");
    }

    @Test
    void aGraphWhoseFoldedCastReachesTwoGibIsRefusedBeforeOnnxRuntimeSeesIt() throws Exception {
        // 65,536 x 8,192 values: 1 GiB in float16, 2 GiB once cast to float32. The refusal reads
        // only the graph, so the values are never written.
        TensorValues unwritten =
                new TensorValues() {
                    @Override
                    public long bytes() {
                        return 65_536L * 8192 * Float.BYTES;
                    }

                    @Override
                    public void writeTo(java.nio.channels.WritableByteChannel out) {
                        throw new AssertionError("not written");
                    }
                };
        Graph g = new Graph("big", OnnxMl.TensorProto.DataType.FLOAT).externalFrom(1 << 20);
        g.input("x", -1, 8192);
        String cast = g.weights("W", unwritten, WeightPrecision.FLOAT16, 65_536, 8192);
        g.output(cast, "out", 65_536, 8192);
        assertThat(OnnxPackage.foldRefusal(g.model()))
                .contains("Cast of W.float16")
                .contains("2147483648 bytes")
                .contains("aborts the process");
        // The encoder's own half-precision graphs cast in blocks, and pass.
        OnnxPackage halved =
                EncoderGraph.packaged(
                        EncoderGraph.Weights.of(params),
                        new EncoderSpec(K, false, Activation.RELU, WeightPrecision.FLOAT16),
                        "e");
        assertThat(OnnxPackage.foldRefusal(parse(halved.graph()))).isNull();
    }

    @Test
    void anExternalFileOutsideTheModelsFolderIsNotRead(@TempDir Path dir) throws Exception {
        OnnxPackage packaged = dense();
        Path model = dir.resolve("sub").resolve("m.onnx");
        Files.createDirectories(model.getParent());
        Files.write(model, OnnxPackage.relocate(packaged.graph(), "../secret.bin", 0));
        Files.write(dir.resolve("secret.bin"), new byte[(int) packaged.weightsBytes()]);
        assertThatThrownBy(() -> SaeSources.load(model, K, false))
                .hasMessageContaining("'../secret.bin'")
                .hasMessageContaining("not a file in");
    }

    /** A dense encoder as PyTorch exports one ([rows, n] in, [rows, D] out), weights beside it. */
    private OnnxPackage dense() {
        Graph g = new Graph("exported", OnnxMl.TensorProto.DataType.FLOAT).externalFrom(1 << 20);
        String x = g.input("input", -1, N);
        String pre =
                g.op(
                        "Gemm",
                        java.util.Map.of("transB", 1L),
                        g.sub(x, g.floats("b_dec", params.bDec(), N)),
                        g.floats("W_enc", params.wEnc(), D, N),
                        g.floats("b_enc", params.bEnc(), D));
        g.output(g.op("Relu", pre), "codes", -1, D);
        return g.packaged();
    }

    private static OnnxMl.ModelProto parse(byte[] graph) throws Exception {
        return OnnxMl.ModelProto.parseFrom(graph);
    }

    private static FloatBuffer rows() {
        SplittableRandom random = new SplittableRandom(3);
        FloatBuffer x =
                ByteBuffer.allocateDirect(ROWS * N * Float.BYTES)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        for (int i = 0; i < ROWS * N; i++) x.put(i, (float) random.nextGaussian());
        return x;
    }

    private static void assertSameCodes(SparseCodes actual, SparseCodes expected) {
        assertThat(actual.rowOffsets()).containsExactly(expected.rowOffsets());
        assertThat(actual.indices()).containsExactly(expected.indices());
        assertThat(actual.values()).containsExactly(expected.values());
        assertThat(actual.activeCounts()).containsExactly(expected.activeCounts());
    }
}
