package dev.aenstream.sae.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.sae.ReferenceEncoder;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Encoders whose weight matrices are stored in float16 or bfloat16 give the float32 codes within a
 * stated tolerance, and travel in about half the bytes.
 *
 * <p>Tolerance: each row's norm-wise relative error against the double-precision forward pass,
 * {@code ||h - h_ref|| / ||h_ref||}, at most {@link #tolerance}: float16 keeps 11 significant bits
 * (a weight's rounding error up to 2^-11), bfloat16 8 (2^-8); summed over n products the errors
 * partly cancel, and the bounds leave a factor of ten over what this test measures (1.9e-4 and
 * 1.5e-3).
 */
class WeightPrecisionIT {
    private static final int N = 64;
    private static final int D = 4096;
    private static final int ROWS = 16;

    static double tolerance(WeightPrecision p) {
        return switch (p) {
            case FLOAT32 -> 1e-5;
            case FLOAT16 -> 2e-3;
            case BFLOAT16 -> 1.5e-2;
        };
    }

    @TempDir Path dir;

    /**
     * Each precision, and half precisions cut into four cast blocks (as weights whose float32 form
     * reaches 1 GiB are, at a size this test can afford).
     */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() {
        return java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of(WeightPrecision.FLOAT32, 1L << 30),
                org.junit.jupiter.params.provider.Arguments.of(WeightPrecision.FLOAT16, 1L << 30),
                org.junit.jupiter.params.provider.Arguments.of(WeightPrecision.BFLOAT16, 1L << 30),
                org.junit.jupiter.params.provider.Arguments.of(
                        WeightPrecision.FLOAT16, (long) N * D),
                org.junit.jupiter.params.provider.Arguments.of(
                        WeightPrecision.BFLOAT16, (long) N * D));
    }

    @ParameterizedTest(name = "{0}, cast blocks of {1} bytes")
    @MethodSource("cases")
    void codesStayWithinTheStatedToleranceOfFloat32(WeightPrecision precision, long castBlock)
            throws Exception {
        SaeParameters params = SaeParameters.initialise(N, D, 11);
        SaeDecoder decoder = SaeDecoder.of(params);
        // Every feature leaves the graph, so the whole code vector is compared.
        EncoderSpec spec = new EncoderSpec(D, false, Activation.RELU, precision);
        OnnxPackage packaged =
                EncoderGraph.packaged(
                        EncoderGraph.Weights.of(params).withDecoder(decoder),
                        spec,
                        "sae_encoder",
                        castBlock);
        long blocks =
                parse(packaged).getGraph().getNodeList().stream()
                        .filter(node -> node.getOpType().equals("Gemm"))
                        .count();
        assertThat(blocks)
                .isEqualTo(
                        precision == WeightPrecision.FLOAT32
                                ? 1
                                : Math.max(1, (long) N * D * Float.BYTES / castBlock));
        OnnxPackage float32 =
                EncoderGraph.packaged(
                        EncoderGraph.Weights.of(params).withDecoder(decoder),
                        spec.withWeights(WeightPrecision.FLOAT32),
                        "sae_encoder");
        long matrices = 2L * N * D;
        assertThat(float32.sizeBytes() - packaged.sizeBytes())
                .as("the two matrices shrink by %d bytes per value", 4 - precision.bytes())
                .isGreaterThanOrEqualTo(matrices * (4 - precision.bytes()) - 4 * OnnxPackage.ALIGN);
        assertThat(OnnxPackage.externalRefusal(parse(packaged), packaged.weightsBytes())).isNull();

        float[] x = rows();
        FloatBuffer input =
                ByteBuffer.allocateDirect(x.length * Float.BYTES)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer()
                        .put(x)
                        .flip();
        double worst = 0;
        try (SaeEncoder encoder = SaeEncoder.open(packaged, N, D, D, Device.CPU, 1)) {
            SparseCodes codes = encoder.encode(input, ROWS);
            for (int r = 0; r < ROWS; r++) {
                double[] ref = ReferenceEncoder.encode(params, x, r * N, false);
                double[] h = new double[D];
                for (int e = codes.rowOffsets()[r]; e < codes.rowOffsets()[r + 1]; e++)
                    h[codes.indices()[e]] = codes.values()[e];
                double diff = 0;
                double norm = 0;
                for (int j = 0; j < D; j++) {
                    diff += (h[j] - ref[j]) * (h[j] - ref[j]);
                    norm += ref[j] * ref[j];
                }
                worst = Math.max(worst, Math.sqrt(diff / norm));
            }
        }
        System.out.printf(
                "%s weights in %d blocks: worst norm-wise relative error %.2e%n",
                precision, blocks, worst);
        assertThat(worst).isLessThanOrEqualTo(tolerance(precision));

        // The decoder the follower reads back is the stored one, widened.
        Path stream = dir.resolve("stream.bin");
        try (FileChannel out =
                FileChannel.open(stream, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            packaged.writeTo(out);
        }
        SaeDecoder read = DecoderTensors.read(parse(packaged), stream, packaged.weightsStart());
        SparseCodes one =
                new SparseCodes(
                        1, D, new int[] {0, 1}, new int[] {77}, new float[] {1f}, new int[] {1});
        float[] expected = new float[N];
        float[] actual = new float[N];
        decoder.decode(one, 0, expected);
        read.decode(one, 0, actual);
        for (int i = 0; i < N; i++) assertThat(actual[i]).isEqualTo(precision.round(expected[i]));
    }

    private static OnnxMl.ModelProto parse(OnnxPackage p) throws Exception {
        return OnnxMl.ModelProto.parseFrom(p.graph());
    }

    private static float[] rows() {
        SplittableRandom random = new SplittableRandom(5);
        float[] x = new float[ROWS * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        return x;
    }
}
