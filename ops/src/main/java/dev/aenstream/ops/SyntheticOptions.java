package dev.aenstream.ops;

import dev.aenstream.produce.SpikedConfig;
import picocli.CommandLine.Option;

/** Flags of the spec's spiked synthetic generator. */
public final class SyntheticOptions {
    @Option(names = "--n", paramLabel = "N", defaultValue = "" + SpikedConfig.DEFAULT_N, description = "Width of a row (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--atoms", paramLabel = "ATOMS", defaultValue = "" + SpikedConfig.DEFAULT_ATOMS, description = "True dictionary atoms (default: ${DEFAULT-VALUE}).")
    int atoms;

    @Option(names = "--k", paramLabel = "K", defaultValue = "" + SpikedConfig.DEFAULT_K, description = "Active atoms per row (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--rho", paramLabel = "RHO", defaultValue = "0", description = "Share of the spike common to all atoms, in [0, 1) (default: ${DEFAULT-VALUE}).")
    double rho;

    @Option(names = "--noise", paramLabel = "SIGMA", defaultValue = "0", description = "Standard deviation of added Gaussian noise (default: ${DEFAULT-VALUE}).")
    double noise;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "0", description = "Seed; the same seed gives the same stream (default: ${DEFAULT-VALUE}).")
    long seed;

    SpikedConfig config() {
        return new SpikedConfig(n, atoms, k, rho, noise, seed);
    }
}
