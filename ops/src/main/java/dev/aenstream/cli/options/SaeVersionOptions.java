package dev.aenstream.cli.options;

import dev.aenstream.models.ModelPull;
import picocli.CommandLine.Option;

/**
 * Which version of which SAE a command reads off the topics, with the command's own {@code -h}: the
 * standard help mixin's {@code --version} would take the name of the SAE's version.
 */
public final class SaeVersionOptions {
    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--sae-id", paramLabel = "ID", required = true, description = "The SAE.")
    String saeId;

    @Option(
            names = "--version",
            paramLabel = "V",
            description = "The SAE's version (default: the newest the topics hold).")
    long version = ModelPull.NEWEST;

    public String saeId() {
        return saeId;
    }

    /** The version asked for, or {@link ModelPull#NEWEST}. */
    public long version() {
        return version;
    }
}
