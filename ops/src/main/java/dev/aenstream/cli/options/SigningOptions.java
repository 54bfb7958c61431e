package dev.aenstream.cli.options;

import dev.aenstream.models.ModelSigning;
import java.nio.file.Path;
import java.security.KeyPair;
import picocli.CommandLine.Option;

/** The key a trainer signs its published versions with. */
public final class SigningOptions {
    @Option(
            names = "--signing-key",
            paramLabel = "FILE",
            description =
                    "Ed25519 private key (PEM, from `aen keys generate`, with its .pub beside it)"
                            + " every published version is signed with; without it versions are"
                            + " unsigned and encoders serve them only with"
                            + " --allow-unsigned-models.")
    Path signingKey;

    /** The key pair to sign with, or null to publish unsigned versions. */
    public KeyPair keys() {
        if (signingKey == null) return null;
        return new KeyPair(ModelSigning.publicOf(signingKey), ModelSigning.readPrivate(signingKey));
    }
}
