package dev.aenstream.sae.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds the SAE encoder as an ONNX graph: {@code h = ReLU(W_enc (x - b_dec) + b_enc)}, then the
 * {@code kMax} largest entries of each row, so only sparse codes leave the device.
 *
 * <p>Input {@value #INPUT} [rows, n] float. Outputs {@value #VALUES} [rows, kMax] float
 * (descending, zeros where fewer features fired), {@value #INDICES} [rows, kMax] int64, {@value
 * #ACTIVE_COUNTS} [rows] float (features with h > 0 before the cut), {@value #SCALES} [rows, 1]
 * float (the factor each row was multiplied by; 1 without normalisation), and per feature over the
 * batch, before the cut, {@value #FEATURE_FIRES}, {@value #FEATURE_SUMS} and {@value #FEATURE_MAX}
 * [D] float: so the monitor's counts are exact at any kMax, for the cost of three reductions.
 */
public final class EncoderGraph {
    /**
     * A feature fires on a token when its code exceeds this (docs/aen-sae.md's dead threshold), in
     * the encoder and the training step alike.
     */
    public static final double FIRE_THRESHOLD = 1e-12;

    public static final String INPUT = "x";
    public static final String VALUES = "values";
    public static final String INDICES = "indices";
    public static final String ACTIVE_COUNTS = "active_counts";
    public static final String SCALES = "scales";
    public static final String FEATURE_FIRES = "feature_fires";
    public static final String FEATURE_SUMS = "feature_sums";
    public static final String FEATURE_MAX = "feature_max";
    private static final double NORM_FLOOR = 1e-12;

    /** Metadata properties that record the {@link EncoderSpec} an encoder was built with. */
    static final String K_MAX = "aen.k_max";

    static final String NORMALISE = "aen.normalise";

    /** The JumpReLU thresholds' tensor, when the encoder has them. */
    static final String THRESHOLD = "threshold";

    static final String ACTIVATION = "aen.activation";

    /** What encoders built before {@link #ACTIVATION} recorded: whether they were TopK. */
    static final String TOP_K = "aen.top_k";

    private EncoderGraph() {}

    /** A [rows, 1] tensor of ones: the scales of rows that were not normalised. */
    static String unitScales(Graph g, String x) {
        // 0 * sum(x) + 1 has the rows dimension without a shape computation; ReduceSum takes axes
        // as an input in every opset >= 13.
        return g.add(g.mul(g.sum(x, true, 1), g.scalar(0)), g.scalar(1));
    }

    /**
     * Ends an encoder whose dense codes are {@code h}: the top-k values and indices, the active
     * counts and the scales.
     */
    static void sparseOutputs(Graph g, String h, String scales, int k, Activation activation) {
        String[] top =
                g.ops(2, "TopK", Map.of("axis", -1L, "largest", 1L, "sorted", 1L), h, g.longs(k));
        h = activation.counted(g, h, top[0]);
        String active = g.sum(g.toReal(g.op("Greater", h, g.scalar(0))), false, 1);
        g.output(top[0], VALUES, -1, k);
        g.output(top[1], INDICES, DataType.INT64, -1, k);
        g.output(active, ACTIVE_COUNTS, -1);
        g.output(scales, SCALES, -1, 1);
        g.output(
                g.sum(g.toReal(g.op("Greater", h, g.scalar(FIRE_THRESHOLD))), false, 0),
                FEATURE_FIRES,
                -1);
        g.output(g.sum(h, false, 0), FEATURE_SUMS, -1);
        g.output(
                g.op("ReduceMax", Map.of("axes", new long[] {0}, "keepdims", 0L), h),
                FEATURE_MAX,
                -1);
    }

    /**
     * Appends the sparse outputs to an encoder graph whose input is {@value #INPUT} and whose dense
     * codes are {@code h}.
     */
    public static OnnxMl.GraphProto appendSparseOutputs(
            OnnxMl.GraphProto encoder, String h, int k) {
        Graph g = Graph.extend(encoder);
        sparseOutputs(g, h, unitScales(g, INPUT), k, Activation.RELU);
        return g.graph();
    }

    /** The encoder with every tensor inside its graph (models under protobuf's 2 GiB). */
    public static OnnxMl.ModelProto build(SaeParameters p, EncoderSpec spec, String graphName) {
        return graph(Weights.of(p), spec, graphName, Long.MAX_VALUE, CAST_BLOCK_BYTES).model();
    }

    /**
     * The encoder as a package: tensors of {@link OnnxPackage#EXTERNAL_FROM_BYTES} or more lie
     * beside the graph, so the model may have any size; the decoder's tensors ride along when
     * {@code w} has them.
     */
    public static OnnxPackage packaged(Weights w, EncoderSpec spec, String graphName) {
        return packaged(w, spec, graphName, CAST_BLOCK_BYTES);
    }

    /**
     * As {@link #packaged(Weights, EncoderSpec, String)}, with every tensor of {@code
     * externalFromBytes} or more beside the graph: small packages that take the large ones' path.
     */
    public static OnnxPackage packagedFrom(
            Weights w, EncoderSpec spec, String graphName, long externalFromBytes) {
        return graph(w, spec, graphName, externalFromBytes, CAST_BLOCK_BYTES).packaged();
    }

    /** As {@link #packaged(Weights, EncoderSpec, String)}, with cast blocks of this size. */
    static OnnxPackage packaged(
            Weights w, EncoderSpec spec, String graphName, long castBlockBytes) {
        return graph(w, spec, graphName, OnnxPackage.EXTERNAL_FROM_BYTES, castBlockBytes)
                .packaged();
    }

    /**
     * What an encoder graph is built from, as values written when the package is: {@code wEnc} [D,
     * n], {@code bEnc} [D], {@code bDec} [n]; {@code atoms} [D, n] and {@code decoderBias} [n] are
     * the decoder, carried as tensors no node uses (both null: none); {@code threshold} [D], when
     * not null, makes the activation a JumpReLU: a feature fires only above its threshold.
     */
    public record Weights(
            int n,
            int d,
            TensorValues wEnc,
            TensorValues bEnc,
            TensorValues bDec,
            TensorValues atoms,
            TensorValues decoderBias,
            TensorValues threshold) {
        /** Weights of a ReLU or TopK encoder. */
        public Weights(
                int n,
                int d,
                TensorValues wEnc,
                TensorValues bEnc,
                TensorValues bDec,
                TensorValues atoms,
                TensorValues decoderBias) {
            this(n, d, wEnc, bEnc, bDec, atoms, decoderBias, null);
        }

        public static Weights of(SaeParameters p) {
            return new Weights(
                    p.n(),
                    p.d(),
                    TensorValues.of(p.wEnc()),
                    TensorValues.of(p.bEnc()),
                    TensorValues.of(p.bDec()),
                    null,
                    null);
        }

        /**
         * The weights of one shard of the dictionary: its rows of {@code W_enc}, {@code b_enc} and
         * the atoms (contiguous byte ranges, written from the whole), {@code b_dec} whole.
         */
        public Weights shard(DictionaryShard shard) {
            long first = shard.first(d);
            int width = shard.width(d);
            long rowBytes = (long) n * Float.BYTES;
            return new Weights(
                    n,
                    width,
                    wEnc.slice(first * rowBytes, width * rowBytes),
                    bEnc.slice(first * Float.BYTES, (long) width * Float.BYTES),
                    bDec,
                    atoms == null ? null : atoms.slice(first * rowBytes, width * rowBytes),
                    decoderBias,
                    threshold == null
                            ? null
                            : threshold.slice(first * Float.BYTES, (long) width * Float.BYTES));
        }

        /** These weights with a JumpReLU threshold per feature (null: none). */
        public Weights withThreshold(float[] thresholds) {
            if (thresholds != null && thresholds.length != d)
                throw new IllegalArgumentException(
                        "a threshold per feature: " + d + ", not " + thresholds.length);
            return new Weights(
                    n,
                    d,
                    wEnc,
                    bEnc,
                    bDec,
                    atoms,
                    decoderBias,
                    thresholds == null ? null : TensorValues.of(thresholds));
        }

        /** These weights without the decoder's tensors. */
        public Weights withoutDecoder() {
            return new Weights(n, d, wEnc, bEnc, bDec, null, null, threshold);
        }

        /** These weights with the decoder's tensors. */
        public Weights withDecoder(SaeDecoder decoder) {
            return new Weights(
                    n,
                    d,
                    wEnc,
                    bEnc,
                    bDec,
                    DecoderTensors.atoms(decoder),
                    DecoderTensors.bias(decoder),
                    threshold);
        }
    }

    /**
     * {@code W_enc x + b_enc}. Half-precision weights are cast to float32 in the graph, and ONNX
     * Runtime folds each cast into one tensor when it loads the graph, which fails (the process
     * aborts) for a result of 2 GiB or more; so such weights are cut into row blocks of at most
     * {@code castBlockBytes} in float32, one product each, joined along the features.
     */
    private static String preActivations(
            Graph g, Weights w, WeightPrecision precision, String centred, long castBlockBytes) {
        int n = w.n();
        int d = w.d();
        long floatBytes = (long) d * n * Float.BYTES;
        if (precision == WeightPrecision.FLOAT32 || floatBytes <= castBlockBytes) {
            String wEnc = g.weights("W_enc", w.wEnc(), precision, d, n);
            return g.op(
                    "Gemm", Map.of("transB", 1L), centred, wEnc, g.weights("b_enc", w.bEnc(), d));
        }
        int rowsPerBlock = (int) Math.max(1, castBlockBytes / ((long) n * Float.BYTES));
        List<String> blocks = new ArrayList<>();
        for (int from = 0, b = 0; from < d; from += rowsPerBlock, b++) {
            int rows = Math.min(rowsPerBlock, d - from);
            long bytes = (long) rows * n * Float.BYTES;
            String wEnc =
                    g.weights(
                            "W_enc." + b,
                            w.wEnc().slice((long) from * n * Float.BYTES, bytes),
                            precision,
                            rows,
                            n);
            String bEnc =
                    g.weights(
                            "b_enc." + b,
                            w.bEnc().slice((long) from * Float.BYTES, (long) rows * Float.BYTES),
                            rows);
            blocks.add(g.op("Gemm", Map.of("transB", 1L), centred, wEnc, bEnc));
        }
        return g.op("Concat", Map.of("axis", 1L), blocks.toArray(String[]::new));
    }

    private static int thresholdCount(Weights w) {
        return Math.toIntExact(w.threshold().bytes() / Float.BYTES);
    }

    /** Largest float32 matrix a half-precision weight block is cast to (1 GiB). */
    static final long CAST_BLOCK_BYTES = 1L << 30;

    private static Graph graph(
            Weights w, EncoderSpec spec, String graphName, long externalFrom, long castBlockBytes) {
        int n = w.n();
        int d = w.d();
        int k = Math.min(spec.kMax(), d);
        spec.activation().checkThresholds(w.threshold() == null ? -1 : thresholdCount(w), d);
        Graph g = new Graph(graphName, DataType.FLOAT).externalFrom(externalFrom);
        // How it was built, so the graph can be rebuilt (as a shard of its dictionary) from itself.
        g.metadata(K_MAX, Integer.toString(spec.kMax()))
                .metadata(NORMALISE, Boolean.toString(spec.normalise()))
                .metadata(ACTIVATION, spec.activation().name());
        String x = g.input(INPUT, -1, n);

        String scales;
        String input = x;
        if (spec.normalise()) {
            String norm = g.op("Max", g.sqrt(g.sumSquares(x, true, 1)), g.scalar(NORM_FLOOR));
            scales = g.div(g.scalar(Math.sqrt(n)), norm);
            input = g.mul(x, scales);
        } else {
            scales = unitScales(g, x);
        }
        String centred = g.sub(input, g.weights("b_dec", w.bDec(), n));
        String pre = preActivations(g, w, spec.weights(), centred, castBlockBytes);
        Activation activation = spec.activation();
        String h =
                activation.codes(
                        g,
                        pre,
                        w.threshold() == null ? null : g.weights(THRESHOLD, w.threshold(), d));
        sparseOutputs(g, h, scales, k, activation);
        if (w.atoms() != null) {
            // Stored in the encoder's precision for no node to use: the follower widens them when
            // it reads the decoder.
            g.stored(SaeDecoder.ATOMS, w.atoms(), spec.weights(), d, n);
            g.weights(SaeDecoder.B_DEC, w.decoderBias(), n);
        }
        return g;
    }
}
