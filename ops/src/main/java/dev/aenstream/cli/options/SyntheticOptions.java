package dev.aenstream.cli.options;

import dev.aenstream.produce.synthetic.SpikedConfig;
import picocli.CommandLine.Option;

/** Flags of docs/aen-sae.md's spiked synthetic generator. */
public final class SyntheticOptions {
    @Option(
            names = "--n",
            paramLabel = "N",
            description = "Width of a row (default: ${DEFAULT-VALUE}).")
    public int n = SpikedConfig.DEFAULT_N;

    @Option(
            names = "--atoms",
            paramLabel = "ATOMS",
            description = "True dictionary atoms (default: ${DEFAULT-VALUE}).")
    int atoms = SpikedConfig.DEFAULT_ATOMS;

    @Option(
            names = "--k",
            paramLabel = "K",
            description = "Active atoms per row (default: ${DEFAULT-VALUE}).")
    int k = SpikedConfig.DEFAULT_K;

    @Option(
            names = "--rho",
            paramLabel = "RHO",
            description =
                    "Share of the spike common to all atoms, in [0, 1) (default:"
                            + " ${DEFAULT-VALUE}).")
    double rho = SpikedConfig.DEFAULT_RHO;

    @Option(
            names = "--noise",
            paramLabel = "SIGMA",
            description = "Standard deviation of added Gaussian noise (default: ${DEFAULT-VALUE}).")
    double noise = SpikedConfig.DEFAULT_NOISE;

    @Option(
            names = "--seed",
            paramLabel = "SEED",
            description = "Seed; the same seed gives the same stream (default: ${DEFAULT-VALUE}).")
    long seed = SpikedConfig.DEFAULT_SEED;

    public SpikedConfig config() {
        return SpikedConfig.builder()
                .n(n)
                .atoms(atoms)
                .k(k)
                .rho(rho)
                .noise(noise)
                .seed(seed)
                .build();
    }
}
