package dev.aenstream.monitor;

import dev.aenstream.avro.FeatureStats;
import dev.aenstream.sae.runtime.SparseCodes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Per-feature statistics of one SAE version over one window, in primitive arrays: fire counts, sums
 * and maxima of activations, tokens and the l0 sum. Updated from sparse codes in time proportional to
 * their entries.
 */
public final class FeatureAccumulator {
    private final String saeId;
    private final long version;
    private final int d;
    private final long windowStartMs;
    private final long[] fires;
    private final double[] sums;
    private final float[] max;
    private long tokens;
    private double l0Sum;

    public FeatureAccumulator(String saeId, long version, int d, long windowStartMs) {
        this(saeId, version, d, windowStartMs, new long[d], new double[d], new float[d], 0, 0);
    }

    private FeatureAccumulator(String saeId, long version, int d, long windowStartMs, long[] fires, double[] sums, float[] max,
                               long tokens, double l0Sum) {
        this.saeId = saeId;
        this.version = version;
        this.d = d;
        this.windowStartMs = windowStartMs;
        this.fires = fires;
        this.sums = sums;
        this.max = max;
        this.tokens = tokens;
        this.l0Sum = l0Sum;
    }

    public void add(SparseCodes codes) {
        int[] idx = codes.indices();
        float[] val = codes.values();
        for (int e = 0; e < codes.entries(); e++) {
            int j = idx[e];
            fires[j]++;
            sums[j] += val[e];
            if (val[e] > max[j]) max[j] = val[e];
        }
        for (int c : codes.activeCounts()) l0Sum += c;
        tokens += codes.rows();
    }

    public String saeId() { return saeId; }
    public long version() { return version; }
    public long windowStartMs() { return windowStartMs; }
    public long tokens() { return tokens; }

    public FeatureStats toRecord(long windowEndMs) {
        ByteBuffer f = ByteBuffer.allocate(d * 8).order(ByteOrder.LITTLE_ENDIAN);
        f.asLongBuffer().put(fires);
        ByteBuffer s = ByteBuffer.allocate(d * 8).order(ByteOrder.LITTLE_ENDIAN);
        s.asDoubleBuffer().put(sums);
        ByteBuffer m = ByteBuffer.allocate(d * 4).order(ByteOrder.LITTLE_ENDIAN);
        m.asFloatBuffer().put(max);
        return FeatureStats.newBuilder().setSaeId(saeId).setVersion(version).setWindowStartMs(windowStartMs)
                .setWindowEndMs(windowEndMs).setTokens(tokens).setD(d).setFireCounts(f).setActivationSums(s).setActivationMax(m)
                .setL0Sum(l0Sum).setFve(null).build();
    }

    public static FeatureAccumulator fromRecord(FeatureStats r) {
        int d = r.getD();
        long[] fires = new long[d];
        double[] sums = new double[d];
        float[] max = new float[d];
        r.getFireCounts().duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(fires);
        r.getActivationSums().duplicate().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(sums);
        r.getActivationMax().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(max);
        return new FeatureAccumulator(r.getSaeId(), r.getVersion(), d, r.getWindowStartMs(), fires, sums, max, r.getTokens(), r.getL0Sum());
    }

    /** Statistics of two parts of one window (from different tasks) as one. */
    public static FeatureStats merge(FeatureStats a, FeatureStats b) {
        FeatureAccumulator x = fromRecord(a);
        FeatureAccumulator y = fromRecord(b);
        for (int j = 0; j < x.d; j++) {
            x.fires[j] += y.fires[j];
            x.sums[j] += y.sums[j];
            x.max[j] = Math.max(x.max[j], y.max[j]);
        }
        x.tokens += y.tokens;
        x.l0Sum += y.l0Sum;
        return x.toRecord(Math.max(a.getWindowEndMs(), b.getWindowEndMs()));
    }

    /** Fire counts of a statistics record. */
    public static long[] fireCounts(FeatureStats r) {
        long[] fires = new long[r.getD()];
        r.getFireCounts().duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(fires);
        return fires;
    }
}
