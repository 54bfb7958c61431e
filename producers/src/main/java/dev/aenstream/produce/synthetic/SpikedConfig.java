package dev.aenstream.produce.synthetic;

/**
 * docs/aen-sae.md's synthetic "spiked" data: {@code atoms} true unit atoms in dimension {@code n},
 * each {@code normalise(sqrt(1-rho) u_j + sqrt(rho) v)} with one shared spike v; every sample has
 * exactly {@code k} active atoms with magnitudes uniform in [1, 3], plus optional Gaussian noise of
 * standard deviation {@code noise}. The same seed gives the same stream. {@link #builder} sets
 * fields by name from the defaults (the constants below).
 *
 * @param n width of a row
 * @param atoms true atoms in the dictionary
 * @param k active atoms per row
 * @param rho share of the spike shared by every atom, in [0, 1)
 * @param noise standard deviation of the Gaussian noise added to every element
 * @param seed seed of the dictionary and of the rows
 */
public record SpikedConfig(int n, int atoms, int k, double rho, double noise, long seed) {
    public static final int DEFAULT_N = 256;
    public static final int DEFAULT_ATOMS = 1024;
    public static final int DEFAULT_K = 16;
    public static final double DEFAULT_RHO = 0;
    public static final double DEFAULT_NOISE = 0;
    public static final long DEFAULT_SEED = 0;
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
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration, to change fields by name. */
    public Builder toBuilder() {
        return builder().n(n).atoms(atoms).k(k).rho(rho).noise(noise).seed(seed);
    }

    /** Sets fields by name, starting from the defaults; {@link #build} validates. */
    public static final class Builder {
        private int n = DEFAULT_N;
        private int atoms = DEFAULT_ATOMS;
        private int k = DEFAULT_K;
        private double rho = DEFAULT_RHO;
        private double noise = DEFAULT_NOISE;
        private long seed = DEFAULT_SEED;

        private Builder() {}

        public Builder n(int v) {
            n = v;
            return this;
        }

        public Builder atoms(int v) {
            atoms = v;
            return this;
        }

        public Builder k(int v) {
            k = v;
            return this;
        }

        public Builder rho(double v) {
            rho = v;
            return this;
        }

        public Builder noise(double v) {
            noise = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public SpikedConfig build() {
            return new SpikedConfig(n, atoms, k, rho, noise, seed);
        }
    }
}
