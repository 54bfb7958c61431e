package dev.aenstream.cli.options;

import dev.aenstream.models.ModelSigning;
import dev.aenstream.models.ModelTrust;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Which model versions an encoder serves: whose signatures it trusts (docs/security.md). */
public final class ModelTrustOptions {
    @Option(
            names = "--trusted-keys",
            paramLabel = "FILE|DIR",
            split = ",",
            description =
                    "Ed25519 public keys (PEM, as `aen keys generate` writes them; a folder means"
                            + " its *.pub files) whose signed model versions are served; others"
                            + " are refused with a MODEL_REFUSED alert.")
    List<Path> trustedKeys = new ArrayList<>();

    @Option(
            names = "--allow-unsigned-models",
            description =
                    "Also serve versions without a signature: then anyone who can write to the"
                            + " models topic decides what the encoders run.")
    boolean allowUnsigned;

    @Option(
            names = "--max-version-jump",
            paramLabel = "N",
            description =
                    "Refuse a version more than N past the newest one served (default:"
                            + " ${DEFAULT-VALUE}).")
    long maxVersionJump = ModelTrust.DEFAULT_MAX_VERSION_JUMP;

    /**
     * The policy the flags describe; refuses to start with neither keys nor the explicit opt-out.
     */
    public ModelTrust trust() throws IOException {
        return new ModelTrust(ModelSigning.readTrusted(trustedKeys), allowUnsigned, maxVersionJump);
    }
}
