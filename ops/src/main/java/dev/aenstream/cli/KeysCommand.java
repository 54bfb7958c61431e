package dev.aenstream.cli;

import dev.aenstream.models.ModelSigning;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aen keys}: the Ed25519 keys model versions are signed with. */
@Command(
        name = "keys",
        mixinStandardHelpOptions = true,
        description = "Keys that sign model versions (docs/security.md).",
        subcommands = KeysCommand.Generate.class)
final class KeysCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("aen keys generate --out PREFIX: see aen keys generate --help");
        return 0;
    }

    @Command(
            name = "generate",
            mixinStandardHelpOptions = true,
            description = {
                "Make an Ed25519 key pair: PREFIX.key (private, readable by its owner only) for the"
                        + " trainer's --signing-key, and PREFIX.pub for the encoders'"
                        + " --trusted-keys.",
                "Never overwrites a key."
            })
    static final class Generate implements Callable<Integer> {
        @Option(
                names = "--out",
                paramLabel = "PREFIX",
                description = "Where the two files go (default: ${DEFAULT-VALUE}).")
        Path out = Path.of("data", "keys", "aen-signing");

        @Option(
                names = "--keep-existing",
                description =
                        "When both files exist already, keep them and succeed (for a deployment's"
                                + " one-off set-up step).")
        boolean keepExisting;

        @Override
        public Integer call() throws Exception {
            Path priv = Path.of(out + ".key");
            Path pub = Path.of(out + ".pub");
            if (keepExisting
                    && java.nio.file.Files.exists(priv)
                    && java.nio.file.Files.exists(pub)) {
                System.out.printf(
                        "keeping the existing key pair %s, %s (key id %s)%n",
                        priv, pub, ModelSigning.keyId(ModelSigning.readPublic(pub)));
                return 0;
            }
            var keys = ModelSigning.generate();
            var files = ModelSigning.write(keys, out);
            System.out.printf(
                    "private key %s (give it to the trainer: --signing-key)%npublic key %s"
                            + " (give it to the encoders: --trusted-keys), key id %s%n",
                    files.get(0), files.get(1), ModelSigning.keyId(keys.getPublic()));
            return 0;
        }
    }
}
