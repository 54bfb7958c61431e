package dev.aenstream.monitor;

import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.LittleEndian;
import dev.aenstream.avro.Matrices;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SparseCodes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Per-feature statistics of one SAE version over one window, in primitive arrays: fire counts, sums
 * and maxima of activations, a histogram of them, tokens and the l0 sum, and with a decoder the
 * sums behind the fve. Updated from sparse codes in time proportional to their entries. The
 * statistics of a shard of the dictionary cover its slice of features; {@link StatisticsParts}
 * splits and joins them.
 */
public final class FeatureAccumulator {
    /** Bins of the activation histogram: below 2^-8, one per octave up to 2^6, and above. */
    public static final int HISTOGRAM_BINS = 16;

    /** Exponent of the lower edge of bin 1. */
    private static final int FIRST_EXPONENT = -8;

    final String saeId;
    final long version;
    final int d;
    final int shard;
    final int shards;
    final int firstFeature;
    final long windowStartMs;
    final long[] fires;
    final double[] sums;
    final float[] max;

    /** d x {@link #HISTOGRAM_BINS}: per feature, its activations per power-of-two bin. */
    final long[] histogram;

    long tokens;
    double l0Sum;

    /**
     * Per coordinate the sums of e, e^2, x, x^2 (e = x - xhat) over the sampled rows, 4 x n, then
     * the number of rows sampled; null while no decoder is known.
     */
    double[] reconstruction;

    /** Sums of ||x||_1 and ||xhat||_1 over the same sampled rows (the shrinkage); null as above. */
    double[] l1Sums;

    public FeatureAccumulator(String saeId, long version, int d, long windowStartMs) {
        this(saeId, version, DictionaryShard.WHOLE, d, windowStartMs);
    }

    /** Statistics of {@code shard}'s features of a dictionary of {@code dictionary}. */
    public FeatureAccumulator(
            String saeId, long version, DictionaryShard shard, int dictionary, long windowStartMs) {
        this(
                saeId,
                version,
                shard.width(dictionary),
                shard.index(),
                shard.count(),
                shard.first(dictionary),
                windowStartMs,
                new long[shard.width(dictionary)],
                new double[shard.width(dictionary)],
                new float[shard.width(dictionary)],
                new long[shard.width(dictionary) * HISTOGRAM_BINS],
                0,
                0,
                null,
                null);
    }

    FeatureAccumulator(
            String saeId,
            long version,
            int d,
            int shard,
            int shards,
            int firstFeature,
            long windowStartMs,
            long[] fires,
            double[] sums,
            float[] max,
            long[] histogram,
            long tokens,
            double l0Sum,
            double[] reconstruction,
            double[] l1Sums) {
        this.saeId = saeId;
        this.version = version;
        this.d = d;
        this.shard = shard;
        this.shards = shards;
        this.firstFeature = firstFeature;
        this.windowStartMs = windowStartMs;
        this.fires = fires;
        this.sums = sums;
        this.max = max;
        this.histogram = histogram;
        this.tokens = tokens;
        this.l0Sum = l0Sum;
        this.reconstruction = reconstruction;
        this.l1Sums = l1Sums;
    }

    /**
     * Adds a batch: from its per-feature totals when the encoder computed them (exact at any
     * k_max), else from its sparse entries (a row cut at k_max then misses the features it
     * dropped).
     */
    public void add(SparseCodes codes) {
        SparseCodes.FeatureTotals totals = codes.totals();
        if (totals != null) {
            for (int j = 0; j < d; j++) {
                fires[j] += (long) totals.fires()[j];
                sums[j] += totals.sums()[j];
                if (totals.max()[j] > max[j]) max[j] = totals.max()[j];
            }
        }
        // One pass over the entries: the histogram always, the totals when the encoder gave none.
        int[] idx = codes.indices();
        float[] val = codes.values();
        for (int e = 0; e < codes.entries(); e++) {
            int j = idx[e] - firstFeature;
            if (totals == null) {
                fires[j]++;
                sums[j] += val[e];
                if (val[e] > max[j]) max[j] = val[e];
            }
            if (val[e] > 0) histogram[j * HISTOGRAM_BINS + bin(val[e])]++;
        }
        for (int c : codes.activeCounts()) l0Sum += c;
        tokens += codes.rows();
    }

    /** The histogram bin of a positive activation. */
    public static int bin(float v) {
        int e = Math.getExponent(v);
        return Math.max(0, Math.min(HISTOGRAM_BINS - 1, e - FIRST_EXPONENT + 1));
    }

    /** The lower edge of histogram bin b (0 for bin 0). */
    public static double binStart(int b) {
        return b == 0 ? 0 : Math.scalb(1.0, b - 1 + FIRST_EXPONENT);
    }

    /**
     * Adds the reconstruction error of every {@code stride}-th row, decoded from the sparse codes:
     * x is what the encoder saw (rescaled to norm sqrt(n) when the graph normalises).
     */
    public void addReconstruction(
            FloatBuffer x, SparseCodes codes, SaeDecoder decoder, boolean normalised, int stride) {
        int n = decoder.n();
        if (reconstruction == null) reconstruction = new double[4 * n + 1];
        if (l1Sums == null) l1Sums = new double[2];
        float[] row = new float[n];
        float[] xhat = new float[n];
        for (int r = 0; r < codes.rows(); r += stride) {
            x.get(r * n, row);
            double scale = normalised ? Matrices.unitScale(row, 0, n) : 1;
            decoder.decode(codes, r, xhat);
            for (int i = 0; i < n; i++) {
                double xi = row[i] * scale;
                double e = xi - xhat[i];
                reconstruction[i] += e;
                reconstruction[n + i] += e * e;
                reconstruction[2 * n + i] += xi;
                reconstruction[3 * n + i] += xi * xi;
                l1Sums[0] += Math.abs(xi);
                l1Sums[1] += Math.abs(xhat[i]);
            }
            reconstruction[4 * n]++;
        }
    }

    /**
     * fve = 1 - sum_i Var(e_i) / sum_i Var(x_i) over the sampled rows, or null without a decoder.
     */
    public Double fve() {
        if (reconstruction == null) return null;
        int n = (reconstruction.length - 1) / 4;
        double tokens = reconstruction[4 * n];
        if (tokens == 0) return null;
        double unexplained = 0;
        double total = 0;
        for (int i = 0; i < n; i++) {
            unexplained += reconstruction[n + i] / tokens - Math.pow(reconstruction[i] / tokens, 2);
            total +=
                    reconstruction[3 * n + i] / tokens
                            - Math.pow(reconstruction[2 * n + i] / tokens, 2);
        }
        return total > 0 ? 1 - unexplained / total : null;
    }

    /** mean ||xhat||_1 / mean ||x||_1 over the sampled rows, or null without a decoder. */
    public Double shrinkage() {
        return l1Sums == null || l1Sums[0] == 0 ? null : l1Sums[1] / l1Sums[0];
    }

    public String saeId() {
        return saeId;
    }

    public long version() {
        return version;
    }

    public long windowStartMs() {
        return windowStartMs;
    }

    public long tokens() {
        return tokens;
    }

    public FeatureStats toRecord(long windowEndMs) {
        ByteBuffer f = ByteBuffer.allocate(d * 8).order(ByteOrder.LITTLE_ENDIAN);
        f.asLongBuffer().put(fires);
        ByteBuffer s = ByteBuffer.allocate(d * 8).order(ByteOrder.LITTLE_ENDIAN);
        s.asDoubleBuffer().put(sums);
        ByteBuffer m = ByteBuffer.allocate(d * 4).order(ByteOrder.LITTLE_ENDIAN);
        m.asFloatBuffer().put(max);
        return FeatureStats.newBuilder()
                .setSaeId(saeId)
                .setVersion(version)
                .setWindowStartMs(windowStartMs)
                .setWindowEndMs(windowEndMs)
                .setTokens(tokens)
                .setD(d)
                .setFireCounts(f)
                .setActivationSums(s)
                .setActivationMax(m)
                .setL0Sum(l0Sum)
                .setFve(fve())
                .setReconstruction(reconstruction == null ? null : doubles(reconstruction))
                .setXL1Sum(l1Sums == null ? null : l1Sums[0])
                .setXhatL1Sum(l1Sums == null ? null : l1Sums[1])
                .setShrinkage(shrinkage())
                .setShard(shard)
                .setShards(shards)
                .setFirstFeature(firstFeature)
                .setActivationHistogram(LittleEndian.longs(histogram))
                .build();
    }

    /** A record's activation histogram, d x {@link #HISTOGRAM_BINS}; zeros for older records. */
    public static long[] histogram(FeatureStats r) {
        return r.getActivationHistogram() == null
                ? new long[r.getD() * HISTOGRAM_BINS]
                : LittleEndian.longs(r.getActivationHistogram());
    }

    private static ByteBuffer doubles(double[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(values);
        return b;
    }

    /** Parts a dictionary may be reported in: far more than shards times blocks ever are. */
    public static final int MAX_PARTS = 1 << 16;

    /**
     * Why a record's declared sizes do not fit the bytes it carries, or null when they do; checked
     * before anything is allocated for them, as a record comes from a topic anyone with write
     * access can fill.
     */
    public static String misfit(FeatureStats r) {
        long d = r.getD();
        if (d < 0) return "d=" + d;
        if (r.getShards() < 1 || r.getShards() > MAX_PARTS)
            return "shards=" + r.getShards() + " outside [1, " + MAX_PARTS + "]";
        if (r.getShard() < 0 || r.getShard() >= r.getShards())
            return "shard " + r.getShard() + " of " + r.getShards();
        if (r.getFirstFeature() < 0 || r.getTokens() < 0)
            return "a negative first feature or tokens";
        if (r.getFireCounts().remaining() != 8 * d)
            return "fireCounts holds " + r.getFireCounts().remaining() + " bytes for d=" + d;
        if (r.getActivationSums().remaining() != 8 * d)
            return "activationSums holds "
                    + r.getActivationSums().remaining()
                    + " bytes for d="
                    + d;
        if (r.getActivationMax().remaining() != 4 * d)
            return "activationMax holds " + r.getActivationMax().remaining() + " bytes for d=" + d;
        if (r.getActivationHistogram() != null
                && r.getActivationHistogram().remaining() != 8L * HISTOGRAM_BINS * d)
            return "activationHistogram holds "
                    + r.getActivationHistogram().remaining()
                    + " bytes for d="
                    + d;
        if (r.getReconstruction() != null) {
            int bytes = r.getReconstruction().remaining();
            if (bytes < 8 || bytes % 8 != 0 || (bytes / 8 - 1) % 4 != 0)
                return "reconstruction holds " + bytes + " bytes, not 8 x (4n + 1)";
        }
        return null;
    }

    /**
     * Refuses a record whose declared sizes do not fit its bytes, before anything is allocated.
     *
     * @throws IllegalArgumentException naming what does not fit
     */
    static void requireFits(FeatureStats r) {
        String misfit = misfit(r);
        if (misfit != null)
            throw new IllegalArgumentException(
                    "statistics of SAE " + r.getSaeId() + " do not hold together: " + misfit);
    }

    public static FeatureAccumulator fromRecord(FeatureStats r) {
        requireFits(r);
        int d = r.getD();
        long[] fires = new long[d];
        double[] sums = new double[d];
        float[] max = new float[d];
        r.getFireCounts().duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(fires);
        r.getActivationSums().duplicate().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(sums);
        r.getActivationMax().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(max);
        double[] reconstruction = null;
        if (r.getReconstruction() != null) {
            reconstruction = new double[r.getReconstruction().remaining() / 8];
            r.getReconstruction()
                    .duplicate()
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .asDoubleBuffer()
                    .get(reconstruction);
        }
        return new FeatureAccumulator(
                r.getSaeId(),
                r.getVersion(),
                d,
                r.getShard(),
                r.getShards(),
                r.getFirstFeature(),
                r.getWindowStartMs(),
                fires,
                sums,
                max,
                histogram(r),
                r.getTokens(),
                r.getL0Sum(),
                reconstruction,
                r.getXL1Sum() == null || r.getXhatL1Sum() == null
                        ? null
                        : new double[] {r.getXL1Sum(), r.getXhatL1Sum()});
    }

    /** Statistics of two parts of one window (from different tasks) as one. */
    public static FeatureStats merge(FeatureStats a, FeatureStats b) {
        FeatureAccumulator x = fromRecord(a);
        FeatureAccumulator y = fromRecord(b);
        if (x.d != y.d || x.shard != y.shard || x.shards != y.shards)
            throw new IllegalArgumentException(
                    "statistics of shard "
                            + x.shard
                            + "/"
                            + x.shards
                            + " (D="
                            + x.d
                            + ") and "
                            + y.shard
                            + "/"
                            + y.shards
                            + " (D="
                            + y.d
                            + ") are of different features: merge them with whole()");
        for (int j = 0; j < x.d; j++) {
            x.fires[j] += y.fires[j];
            x.sums[j] += y.sums[j];
            x.max[j] = Math.max(x.max[j], y.max[j]);
        }
        for (int i = 0; i < x.histogram.length; i++) x.histogram[i] += y.histogram[i];
        x.tokens += y.tokens;
        x.l0Sum += y.l0Sum;
        if (x.reconstruction != null && y.reconstruction != null) {
            for (int i = 0; i < x.reconstruction.length; i++)
                x.reconstruction[i] += y.reconstruction[i];
        } else {
            // A part without a decoder makes the window's fve unknown rather than wrong.
            x.reconstruction = null;
        }
        if (x.l1Sums != null && y.l1Sums != null) {
            x.l1Sums[0] += y.l1Sums[0];
            x.l1Sums[1] += y.l1Sums[1];
        } else {
            x.l1Sums = null;
        }
        return x.toRecord(Math.max(a.getWindowEndMs(), b.getWindowEndMs()));
    }

    /** Fire counts of a statistics record. */
    public static long[] fireCounts(FeatureStats r) {
        return LittleEndian.longs(r.getFireCounts());
    }
}
