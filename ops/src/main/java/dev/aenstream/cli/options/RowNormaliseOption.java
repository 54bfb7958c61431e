package dev.aenstream.cli.options;

import picocli.CommandLine.Option;

/** Whether a producer of language-model rows rescales them before publishing. */
public final class RowNormaliseOption {
    @Option(
            names = "--no-normalise",
            negatable = true,
            fallbackValue = "true",
            description =
                    "Rescale each token's activation to L2 norm sqrt(n), as docs/aen-sae.md asks"
                        + " for language models; the factors travel in the records (default: on;"
                        + " --no-normalise sends raw values).")
    public boolean normalise = true;
}
