package dev.aenstream.sae.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Four encoders each holding a quarter of a dictionary give, merged, the codes, active counts and
 * per-feature totals of one encoder holding all of it.
 */
class DictionaryShardIT {
    private static final int N = 64;
    private static final int D = 4099; // not a multiple of the shard count
    private static final int K = 24;
    private static final int ROWS = 32;

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
        SplittableRandom random = new SplittableRandom(9);
        FloatBuffer x =
                ByteBuffer.allocateDirect(ROWS * N * Float.BYTES)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        for (int i = 0; i < ROWS * N; i++) x.put(i, (float) random.nextGaussian());
        return x;
    }
}
