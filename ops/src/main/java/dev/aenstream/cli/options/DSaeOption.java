package dev.aenstream.cli.options;

import dev.aenstream.sae.SaeParameters;
import picocli.CommandLine.Option;

/** {@code --d-sae}: the dictionary size D of an SAE the command trains or initialises. */
public final class DSaeOption {
    @Option(
            names = "--d-sae",
            paramLabel = "D",
            description = "Dictionary size D (default: ${DEFAULT-VALUE}).")
    int dSae = SaeParameters.DEFAULT_D_SAE;

    public int dSae() {
        return dSae;
    }
}
