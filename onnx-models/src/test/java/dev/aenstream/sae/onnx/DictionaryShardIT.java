package dev.aenstream.sae.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Four encoders each holding a quarter of a dictionary give, merged, the codes, active counts and
 * per-feature totals of one encoder holding all of it.
 */
class DictionaryShardIT {
    private static final int N = 64;
    private static final int D = 4099; // not a multiple of the shard count
    private static final int K = 24;
    private static final int ROWS = 32;

    /** Wide enough that a 1,000-row block of W_enc in float16 passes 1 MiB and lies outside. */
    private static final int WIDE = 640;

    @Test
    void fourShardsMergedEqualTheWholeDictionary() throws Exception {
        SaeParameters params = SaeParameters.initialise(N, D, 21);
        EncoderSpec spec = new EncoderSpec(K, false);
        EncoderGraph.Weights weights = EncoderGraph.Weights.of(params);
        FloatBuffer x = rows();
        SparseCodes whole;
        try (SaeEncoder encoder =
                SaeEncoder.open(
                        EncoderGraph.packaged(weights, spec, "whole"), N, D, K, Device.CPU, 1)) {
            whole = encoder.encode(x.duplicate(), ROWS);
        }
        int shards = 4;
        List<SparseCodes> parts = new ArrayList<>();
        int[] first = new int[shards];
        for (int i = 0; i < shards; i++) {
            DictionaryShard shard = new DictionaryShard(i, shards);
            first[i] = shard.first(D);
            int width = shard.width(D);
            try (SaeEncoder encoder =
                    SaeEncoder.open(
                            EncoderGraph.packaged(weights.shard(shard), spec, "shard"),
                            N,
                            width,
                            Math.min(K, width),
                            Device.CPU,
                            1)) {
                parts.add(encoder.encode(x.duplicate(), ROWS));
            }
        }
        assertThat(first).containsExactly(0, 1024, 2049, 3074);
        SparseCodes merged = SparseCodes.merge(parts, first, D, K);

        assertThat(merged.rowOffsets()).containsExactly(whole.rowOffsets());
        assertThat(merged.indices()).containsExactly(whole.indices());
        // Each feature's dot product is the same sum in both; allow for a different blocking.
        for (int e = 0; e < whole.entries(); e++)
            assertThat(merged.values()[e])
                    .isCloseTo(whole.values()[e], org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(merged.activeCounts()).containsExactly(whole.activeCounts());
        assertThat(merged.totals().fires()).containsExactly(whole.totals().fires());
        for (int j = 0; j < D; j++) {
            assertThat(merged.totals().sums()[j])
                    .isCloseTo(
                            whole.totals().sums()[j], org.assertj.core.data.Offset.offset(1e-4f));
            assertThat(merged.totals().max()[j])
                    .isCloseTo(whole.totals().max()[j], org.assertj.core.data.Offset.offset(1e-5f));
        }

        SparseCodes single = SparseCodes.merge(List.of(whole), new int[] {0}, D, K);
        assertThat(single.indices()).containsExactly(whole.indices());
        assertThat(single.values()).containsExactly(whole.values());
    }

    /**
     * A float16 package whose W_enc is cut into cast blocks, written as it travels and read back by
     * {@link EncoderTensors}, rebuilt as three shards (slices that cross the blocks): merged, they
     * give the stored whole encoder's codes.
     */
    @Test
    void shardsRebuiltFromAStoredHalfPrecisionPackageMergeIntoItsCodes(@TempDir Path dir)
            throws Exception {
        SaeParameters params = SaeParameters.initialise(WIDE, D, 23);
        EncoderSpec spec = new EncoderSpec(K, true, Activation.RELU, WeightPrecision.FLOAT16);
        // Blocks of 1000 rows in float32 (1.3 MB in float16, so external data): the shards'
        // slices start inside blocks.
        OnnxPackage pkg =
                EncoderGraph.packaged(
                        EncoderGraph.Weights.of(params).withDecoder(SaeDecoder.of(params)),
                        spec,
                        "whole",
                        1000L * WIDE * Float.BYTES);
        assertThat(pkg.selfContained()).isFalse();
        Path file = dir.resolve("version.bin");
        try (var out =
                java.nio.channels.FileChannel.open(
                        file,
                        java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.WRITE)) {
            pkg.writeTo(out);
        }
        FloatBuffer x = rows(WIDE);
        SparseCodes whole;
        try (SaeEncoder encoder = SaeEncoder.open(pkg, WIDE, D, K, Device.CPU, 1)) {
            whole = encoder.encode(x.duplicate(), ROWS);
        }
        EncoderTensors.Read read =
                EncoderTensors.read(
                        ai.onnx.proto.OnnxMl.ModelProto.parseFrom(pkg.graph()),
                        file,
                        pkg.weightsStart());
        assertThat(read.precision()).isEqualTo(WeightPrecision.FLOAT16);
        assertThat(read.spec()).isEqualTo(spec);
        assertThat(read.weights().d()).isEqualTo(D);
        int shards = 3;
        List<SparseCodes> parts = new ArrayList<>();
        int[] first = new int[shards];
        for (int i = 0; i < shards; i++) {
            DictionaryShard shard = new DictionaryShard(i, shards);
            first[i] = shard.first(D);
            try (SaeEncoder encoder =
                    SaeEncoder.openShard(read, read.spec(), shard, Device.CPU, 1)) {
                assertThat(encoder.d()).isEqualTo(shard.width(D));
                parts.add(encoder.encode(x.duplicate(), ROWS));
            }
        }
        SparseCodes merged = SparseCodes.merge(parts, first, D, K);
        assertThat(merged.indices()).containsExactly(whole.indices());
        for (int e = 0; e < whole.entries(); e++)
            assertThat(merged.values()[e])
                    .isCloseTo(whole.values()[e], org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(merged.activeCounts()).containsExactly(whole.activeCounts());
        assertThat(merged.totals().fires()).containsExactly(whole.totals().fires());

        // The same package held in memory reads the same way.
        EncoderTensors.Read inMemory = EncoderTensors.read(pkg);
        assertThat(inMemory.weights().wEnc().bytes()).isEqualTo((long) D * WIDE * Float.BYTES);
        var a = new java.io.ByteArrayOutputStream();
        var b = new java.io.ByteArrayOutputStream();
        read.weights()
                .wEnc()
                .slice(999L * WIDE * 4, 3L * WIDE * 4)
                .writeTo(java.nio.channels.Channels.newChannel(a));
        inMemory.weights()
                .wEnc()
                .slice(999L * WIDE * 4, 3L * WIDE * 4)
                .writeTo(java.nio.channels.Channels.newChannel(b));
        assertThat(a.toByteArray()).isEqualTo(b.toByteArray()).hasSize(3 * WIDE * 4);
    }

    @Test
    void anEncoderMadeElsewhereCannotBeSharded() {
        byte[] foreign =
                EncoderGraph.appendSparseOutputs(
                                ai.onnx.proto.OnnxMl.GraphProto.newBuilder()
                                        .setName("foreign")
                                        .build(),
                                "h",
                                4)
                        .toByteArray();
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () ->
                                EncoderTensors.read(
                                        ai.onnx.proto.OnnxMl.ModelProto.newBuilder()
                                                .setGraph(
                                                        ai.onnx.proto.OnnxMl.GraphProto.parseFrom(
                                                                foreign))
                                                .build(),
                                        Path.of("unused"),
                                        0))
                .hasMessageContaining("not an encoder built by aen");
    }

    @Test
    void shardsAreParsedAndCoverTheDictionaryOnce() {
        assertThat(DictionaryShard.parse("2/4")).isEqualTo(new DictionaryShard(2, 4));
        int covered = 0;
        for (int i = 0; i < 7; i++) {
            DictionaryShard s = new DictionaryShard(i, 7);
            assertThat(s.first(131_072)).isEqualTo(covered);
            covered = s.end(131_072);
        }
        assertThat(covered).isEqualTo(131_072);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DictionaryShard.parse("4/4"))
                .hasMessageContaining("0 <= i < S");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DictionaryShard.parse("half"))
                .hasMessageContaining("i/S");
    }

    private static FloatBuffer rows() {
        return rows(N);
    }

    private static FloatBuffer rows(int n) {
        SplittableRandom random = new SplittableRandom(9);
        FloatBuffer x =
                ByteBuffer.allocateDirect(ROWS * n * Float.BYTES)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        for (int i = 0; i < ROWS * n; i++) x.put(i, (float) random.nextGaussian());
        return x;
    }
}
