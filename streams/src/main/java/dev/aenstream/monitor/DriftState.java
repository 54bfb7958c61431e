package dev.aenstream.monitor;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What the drift watch knows of one part of one SAE version (or, with a pinned reference, of every
 * version since the first): each feature's reference density and two CUSUM tests on it (density up
 * by the configured ratio, density down by it), run on blocks of tokens. The thresholds make the
 * false alarms per million tokens, summed over every test of the dictionary, at most the configured
 * rate (docs/monitoring.md, "Drift"). A feature's test that alarmed stays quiet until the reference
 * is renewed: one alert per change, not one per block.
 */
public final class DriftState {
    /** A feature whose test alarmed on the block that just ended. */
    public record Moved(
            int feature, boolean up, double referenceDensity, double density, double statistic) {}

    /** What one block's test found: alarms, most significant first, and the population drift. */
    public record Block(long tokens, double js, List<Moved> moved) {}

    private static final byte UP = 1;
    private static final byte DOWN = 2;

    private final int d;
    private long version;
    private long refTokens;
    private final long[] refFires;
    private boolean tested;
    private long blockTokens;
    private final long[] blockFires;
    private long nextRefTokens;
    private final long[] nextRefFires;
    private final double[] up;
    private final double[] down;
    private final byte[] latched;
    private double js = Double.NaN;

    public DriftState(int d) {
        this.d = d;
        this.refFires = new long[d];
        this.blockFires = new long[d];
        this.nextRefFires = new long[d];
        this.up = new double[d];
        this.down = new double[d];
        this.latched = new byte[d];
    }

    int d() {
        return d;
    }

    long version() {
        return version;
    }

    /** The population drift of the last block tested; NaN before the first. */
    double js() {
        return js;
    }

    /** Whether the reference is complete and blocks are tested against it. */
    public boolean testing() {
        return tested;
    }

    /**
     * Adds {@code tokens} tokens of {@code version} with {@code fires[j]} fires of feature j, and
     * returns the block the addition completed, or null. A newer version starts over (its features
     * are not the old ones); an older one's late counts are ignored.
     */
    public Block add(long version, long tokens, long[] fires, DriftSettings settings) {
        if (version < this.version) return null;
        if (version > this.version) {
            // A pinned reference outlives versions; the tests go on against it.
            if (settings.pinned() && tested) this.version = version;
            else reset(version);
        }
        if (!tested) {
            refTokens += tokens;
            for (int j = 0; j < d; j++) refFires[j] += fires[j];
            tested = refTokens >= settings.referenceTokens();
            return null;
        }
        blockTokens += tokens;
        for (int j = 0; j < d; j++) blockFires[j] += fires[j];
        if (blockTokens < settings.blockTokens()) return null;
        Block block = test(settings);
        if (settings.rolling()) roll(settings);
        blockTokens = 0;
        java.util.Arrays.fill(blockFires, 0);
        return block;
    }

    private void reset(long version) {
        this.version = version;
        refTokens = 0;
        blockTokens = 0;
        nextRefTokens = 0;
        tested = false;
        java.util.Arrays.fill(refFires, 0);
        java.util.Arrays.fill(blockFires, 0);
        java.util.Arrays.fill(nextRefFires, 0);
        clearTests();
        js = Double.NaN;
    }

    private void clearTests() {
        java.util.Arrays.fill(up, 0);
        java.util.Arrays.fill(down, 0);
        java.util.Arrays.fill(latched, (byte) 0);
    }

    /** Rolling reference: each block also builds the next reference, which replaces the old. */
    private void roll(DriftSettings settings) {
        nextRefTokens += blockTokens;
        for (int j = 0; j < d; j++) nextRefFires[j] += blockFires[j];
        if (nextRefTokens < settings.referenceTokens()) return;
        refTokens = nextRefTokens;
        System.arraycopy(nextRefFires, 0, refFires, 0, d);
        nextRefTokens = 0;
        java.util.Arrays.fill(nextRefFires, 0);
        clearTests();
    }

    private Block test(DriftSettings settings) {
        double h = settings.threshold();
        double z = settings.referenceZ();
        double r = settings.ratio();
        double t = blockTokens;
        List<Moved> moved = new ArrayList<>();
        for (int j = 0; j < d; j++) {
            long c = blockFires[j];
            double[] bounds = DriftSettings.rateBounds(refFires[j], refTokens, z);
            if ((latched[j] & UP) == 0) {
                up[j] = Math.max(0, up[j] + DriftSettings.llr(c, t, bounds[1], bounds[1] * r));
                if (up[j] >= h) {
                    moved.add(new Moved(j, true, refFires[j] / (double) refTokens, c / t, up[j]));
                    latched[j] |= UP;
                    up[j] = 0;
                }
            }
            if ((latched[j] & DOWN) == 0 && bounds[0] > 0) {
                down[j] = Math.max(0, down[j] + DriftSettings.llr(c, t, bounds[0], bounds[0] / r));
                if (down[j] >= h) {
                    moved.add(
                            new Moved(j, false, refFires[j] / (double) refTokens, c / t, down[j]));
                    latched[j] |= DOWN;
                    down[j] = 0;
                }
            }
        }
        moved.sort(Comparator.comparingDouble((Moved m) -> -m.statistic()));
        js = jensenShannon(refFires, blockFires);
        return new Block(blockTokens, js, moved);
    }

    /**
     * Jensen–Shannon divergence in bits (0..1) between two count vectors taken as distributions
     * over features: how much the mix of features moved, whichever features moved it.
     */
    static double jensenShannon(long[] p, long[] q) {
        double sp = 0;
        double sq = 0;
        for (int j = 0; j < p.length; j++) {
            sp += p[j];
            sq += q[j];
        }
        if (sp == 0 || sq == 0) return sp == sq ? 0 : 1;
        double js = 0;
        for (int j = 0; j < p.length; j++) {
            double a = p[j] / sp;
            double b = q[j] / sq;
            double m = (a + b) / 2;
            if (a > 0) js += a * Math.log(a / m);
            if (b > 0) js += b * Math.log(b / m);
        }
        return js / (2 * Math.log(2));
    }

    byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(d * 41 + 64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(d);
            out.writeLong(version);
            out.writeLong(refTokens);
            out.writeBoolean(tested);
            out.writeLong(blockTokens);
            out.writeLong(nextRefTokens);
            out.writeDouble(js);
            for (int j = 0; j < d; j++) {
                out.writeLong(refFires[j]);
                out.writeLong(blockFires[j]);
                out.writeLong(nextRefFires[j]);
                out.writeDouble(up[j]);
                out.writeDouble(down[j]);
                out.writeByte(latched[j]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static DriftState fromBytes(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            DriftState s = new DriftState(in.readInt());
            s.version = in.readLong();
            s.refTokens = in.readLong();
            s.tested = in.readBoolean();
            s.blockTokens = in.readLong();
            s.nextRefTokens = in.readLong();
            s.js = in.readDouble();
            for (int j = 0; j < s.d; j++) {
                s.refFires[j] = in.readLong();
                s.blockFires[j] = in.readLong();
                s.nextRefFires[j] = in.readLong();
                s.up[j] = in.readDouble();
                s.down[j] = in.readDouble();
                s.latched[j] = in.readByte();
            }
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
