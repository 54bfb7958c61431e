package dev.aenstream.produce.synthetic;

/**
 * docs/aen-sae.md's synthetic "spiked" data: {@code atoms} true unit atoms in dimension {@code n},
 * each {@code normalise(sqrt(1-rho) u_j + sqrt(rho) v)} with one shared spike v; every sample has
 * exactly {@code k} active atoms with magnitudes uniform in [1, 3], plus optional Gaussian noise of
 * standard deviation {@code noise}. The same seed gives the same stream.
 */
public record SpikedConfig(int n, int atoms, int k, double rho, double noise, long seed) {
    public static final int DEFAULT_N = 256;
    public static final int DEFAULT_ATOMS = 1024;
    public static final int DEFAULT_K = 16;
    public static final double MIN_MAGNITUDE = 1;
    public static final double MAX_MAGNITUDE = 3;

    public SpikedConfig {
        if (n <= 0) throw new IllegalArgumentException("n must be positive, got " + n);
        if (atoms <= 0) throw new IllegalArgumentException("atoms must be positive, got " + atoms);
        if (k <= 0 || k > atoms)
            throw new IllegalArgumentException("k must be in 1.." + atoms + ", got " + k);
        if (!(rho >= 0 && rho < 1))
            throw new IllegalArgumentException("rho must be in [0, 1), got " + rho);
        if (!(noise >= 0)) throw new IllegalArgumentException("noise must be >= 0, got " + noise);
    }

    public static SpikedConfig defaults() {
        return new SpikedConfig(DEFAULT_N, DEFAULT_ATOMS, DEFAULT_K, 0, 0, 0);
    }
}
