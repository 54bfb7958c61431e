package dev.aenstream.sae.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.EncoderTensors;
import dev.aenstream.sae.onnx.OnnxPackage;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * One SAE encoder in ONNX Runtime: a batch of rows in, sparse codes out, in one call. The session
 * is thread-safe; callers pass their own input buffers.
 */
public final class SaeEncoder implements AutoCloseable {
    private final OrtSessions.Opened opened;
    private final int n;
    private final int d;
    private final int kMax;

    private SaeEncoder(OrtSessions.Opened opened, int n, int d, int kMax) {
        this.opened = opened;
        this.n = n;
        this.d = d;
        this.kMax = kMax;
    }

    /** Builds the encoder graph for the parameters and opens it on the device. */
    public static SaeEncoder open(
            SaeParameters params, EncoderSpec spec, Device device, int threads)
            throws OrtException {
        byte[] model = EncoderGraph.build(params, spec, "sae_encoder").toByteArray();
        return open(
                model, params.n(), params.d(), Math.min(spec.kMax(), params.d()), device, threads);
    }

    /** Opens a packaged encoder ({@link OrtSessions#open(OnnxPackage, Device, int)}). */
    public static SaeEncoder open(
            OnnxPackage model, int n, int d, int kMax, Device device, int threads)
            throws OrtException, IOException {
        return new SaeEncoder(OrtSessions.open(model, device, threads), n, d, kMax);
    }

    /**
     * Opens shard {@code shard} of the encoder whose weights were {@code read}, built to {@code
     * spec} (its weights in the precision they were read in); without the decoder's tensors.
     */
    public static SaeEncoder openShard(
            EncoderTensors.Read read,
            EncoderSpec spec,
            DictionaryShard shard,
            Device device,
            int threads)
            throws OrtException, IOException {
        EncoderGraph.Weights w = read.weights().withoutDecoder().shard(shard);
        OnnxPackage model =
                EncoderGraph.packaged(
                        w,
                        spec.withWeights(read.precision()),
                        "sae_encoder_shard_" + shard.index() + "_of_" + shard.count());
        return open(model, w.n(), w.d(), Math.min(spec.kMax(), w.d()), device, threads);
    }

    /**
     * Opens an encoder graph file (its external data, if any, beside it) that follows {@link
     * EncoderGraph}'s input and output names.
     */
    public static SaeEncoder open(Path model, int n, int d, int kMax, Device device, int threads)
            throws OrtException {
        return new SaeEncoder(OrtSessions.open(model, device, threads), n, d, kMax);
    }

    /** Opens an encoder graph that follows {@link EncoderGraph}'s input and output names. */
    public static SaeEncoder open(byte[] model, int n, int d, int kMax, Device device, int threads)
            throws OrtException {
        return new SaeEncoder(OrtSessions.open(model, device, threads), n, d, kMax);
    }

    public int n() {
        return n;
    }

    public int d() {
        return d;
    }

    public int kMax() {
        return kMax;
    }

    public Device device() {
        return opened.device();
    }

    /**
     * Encodes {@code rows} rows of width n from {@code input} (positioned at the first value; a
     * direct buffer avoids a copy).
     */
    public SparseCodes encode(FloatBuffer input, int rows) throws OrtException {
        if (rows == 0) {
            return new SparseCodes(0, d, new int[1], new int[0], new float[0], new int[0]);
        }
        OrtEnvironment env = OrtSessions.environment();
        try (OnnxTensor x = OnnxTensor.createTensor(env, input, new long[] {rows, n});
                OrtSession.Result result = opened.session().run(Map.of(EncoderGraph.INPUT, x))) {
            FloatBuffer values =
                    output(result, EncoderGraph.VALUES, (long) rows * kMax).getFloatBuffer();
            LongBuffer indices =
                    output(result, EncoderGraph.INDICES, (long) rows * kMax).getLongBuffer();
            FloatBuffer active = output(result, EncoderGraph.ACTIVE_COUNTS, rows).getFloatBuffer();
            return compress(rows, values, indices, active, totals(result));
        }
    }

    /**
     * The per-feature totals, when the graph has them (encoders built before they existed, still on
     * the models topic, do not).
     */
    private SparseCodes.FeatureTotals totals(OrtSession.Result result) {
        if (result.get(EncoderGraph.FEATURE_FIRES).isEmpty()
                || result.get(EncoderGraph.FEATURE_SUMS).isEmpty()
                || result.get(EncoderGraph.FEATURE_MAX).isEmpty()) return null;
        return new SparseCodes.FeatureTotals(
                floats(output(result, EncoderGraph.FEATURE_FIRES, d)),
                floats(output(result, EncoderGraph.FEATURE_SUMS, d)),
                floats(output(result, EncoderGraph.FEATURE_MAX, d)));
    }

    /** The output {@code name}, which must hold {@code size} values, or a {@link ShapeMismatch}. */
    private OnnxTensor output(OrtSession.Result result, String name, long size) {
        var value = result.get(name);
        if (value.isEmpty() || !(value.get() instanceof OnnxTensor t))
            throw new ShapeMismatch("the graph has no tensor output " + name);
        long have = t.getInfo().getNumElements();
        if (have != size)
            throw new ShapeMismatch(
                    "output "
                            + name
                            + " has "
                            + have
                            + " values "
                            + java.util.Arrays.toString(t.getInfo().getShape())
                            + " where the model's n="
                            + n
                            + ", D="
                            + d
                            + ", k_max="
                            + kMax
                            + " give "
                            + size);
        return t;
    }

    private static float[] floats(OnnxTensor value) {
        FloatBuffer buffer = value.getFloatBuffer();
        float[] out = new float[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    /**
     * Encodes one row of zeros and one of ones, so a graph whose outputs do not fit the model's
     * declared n, D and k_max is found before it serves a record.
     *
     * @throws ShapeMismatch naming the output that does not fit
     */
    public void check() throws OrtException {
        FloatBuffer probe =
                java.nio.ByteBuffer.allocateDirect(2 * n * Float.BYTES)
                        .order(java.nio.ByteOrder.nativeOrder())
                        .asFloatBuffer();
        for (int i = n; i < 2 * n; i++) probe.put(i, 1f);
        encode(probe, 2);
    }

    /** A graph's outputs do not have the shapes or values its model declares. */
    public static final class ShapeMismatch extends IllegalStateException {
        public ShapeMismatch(String message) {
            super(message);
        }
    }

    /**
     * Drops the zeros TopK pads short rows with; values are sorted, so a row's entries stop at its
     * first zero.
     */
    private SparseCodes compress(
            int rows,
            FloatBuffer values,
            LongBuffer indices,
            FloatBuffer active,
            SparseCodes.FeatureTotals totals) {
        int[] rowOffsets = new int[rows + 1];
        int[] activeCounts = new int[rows];
        int total = 0;
        for (int r = 0; r < rows; r++) {
            int base = r * kMax;
            int len = 0;
            while (len < kMax && values.get(base + len) > 0f) len++;
            total += len;
            rowOffsets[r + 1] = total;
            activeCounts[r] = (int) active.get(r);
        }
        int[] idx = new int[total];
        float[] val = new float[total];
        for (int r = 0; r < rows; r++) {
            int base = r * kMax;
            for (int e = rowOffsets[r], i = 0; e < rowOffsets[r + 1]; e++, i++) {
                long feature = indices.get(base + i);
                if (feature < 0 || feature >= d)
                    throw new ShapeMismatch(
                            "feature index " + feature + " in row " + r + " is outside D=" + d);
                idx[e] = (int) feature;
                val[e] = values.get(base + i);
            }
        }
        return new SparseCodes(rows, d, rowOffsets, idx, val, activeCounts, totals);
    }

    @Override
    public void close() throws OrtException {
        opened.close();
    }
}
