package dev.aenstream.cli;

import dev.aenstream.broker.ClusterCredentials;
import dev.aenstream.models.ModelSigning;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code aen keys}: the Ed25519 keys model versions are signed with. */
@Command(
        name = "keys",
        mixinStandardHelpOptions = true,
        description = "Keys that sign model versions (docs/security.md).",
        subcommands = {KeysCommand.Generate.class, KeysCommand.Cluster.class})
final class KeysCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println(
                "aen keys generate --out PREFIX: a model-signing key pair (aen keys generate"
                        + " --help)\naen keys cluster --out DIR: a deployed Kafka's certificates"
                        + " and passwords (aen keys cluster --help)");
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

        @Option(
                names = "--public-dir",
                paramLabel = "DIR",
                description =
                        "Also copy the public key into this folder, apart from the private one,"
                                + " so that encoders can be given that folder alone.")
        Path publicDir;

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
                copyPublic(pub);
                return 0;
            }
            var keys = ModelSigning.generate();
            var files = ModelSigning.write(keys, out);
            System.out.printf(
                    "private key %s (give it to the trainer: --signing-key)%npublic key %s"
                            + " (give it to the encoders: --trusted-keys), key id %s%n",
                    files.get(0), files.get(1), ModelSigning.keyId(keys.getPublic()));
            copyPublic(pub);
            return 0;
        }

        private void copyPublic(Path pub) throws java.io.IOException {
            if (publicDir == null) return;
            java.nio.file.Files.createDirectories(publicDir);
            Path copy = publicDir.resolve(pub.getFileName());
            java.nio.file.Files.copy(pub, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            System.out.printf("public key also at %s, for the encoders%n", copy);
        }
    }

    @Command(
            name = "cluster",
            mixinStandardHelpOptions = true,
            description = {
                "Make the credentials of a deployed, secured Kafka (ops/deploy): a CA; the"
                        + " brokers' certificate and PKCS#12 stores (DIR/broker, for the"
                        + " apache/kafka image's /etc/kafka/secrets); a mutual-TLS certificate for"
                        + " the set-up job (DIR/admin, with each component's SCRAM password); and"
                        + " per component a client.properties for --command-config"
                        + " (DIR/producer, DIR/encoder, DIR/trainer, DIR/dashboard).",
                "Each folder becomes one Secret; ops/deploy/README.md shows how. Never"
                        + " overwrites credentials; prints no secret."
            })
    static final class Cluster implements Callable<Integer> {
        @Option(
                names = "--out",
                paramLabel = "DIR",
                description = "Where the folders go (default: ${DEFAULT-VALUE}).")
        Path out = Path.of("data", "cluster-credentials");

        @Option(
                names = "--broker-host",
                paramLabel = "NAME",
                split = ",",
                description =
                        "A name (or address) clients reach a broker by; repeatable, wildcards"
                                + " such as *.kafka-headless allowed (default: the Compose"
                                + " file's ${DEFAULT-VALUE}).")
        List<String> brokerHosts = new ArrayList<>(List.of("kafka-1", "kafka-2", "kafka-3"));

        @Option(
                names = "--mount-root",
                paramLabel = "DIR",
                description =
                        "Where containers mount each folder, as DIR/HOLDER (DIR/trainer, ...);"
                                + " the client.properties files name their CA and key files"
                                + " there (default: ${DEFAULT-VALUE}).")
        Path mountRoot = ClusterCredentials.DEFAULT_MOUNT_ROOT;

        @Option(
                names = "--world-readable",
                description =
                        "Files readable by any user, for a store whose folders are each mounted"
                                + " into one container only but read by another uid (the Compose"
                                + " file's credentials volume). Kubernetes sets modes itself.")
        boolean shared;

        @Option(
                names = "--keep-existing",
                description =
                        "When DIR holds credentials already, keep them and succeed (for a"
                                + " deployment's one-off set-up step).")
        boolean keepExisting;

        @Override
        public Integer call() {
            if (ClusterCredentials.exist(out)) {
                if (keepExisting) {
                    System.out.printf("keeping the existing credentials in %s%n", out);
                    return 0;
                }
                throw new ParameterException(
                        spec.commandLine(),
                        out + " holds credentials already; remove it or pass --keep-existing");
            }
            for (Path folder : ClusterCredentials.write(out, brokerHosts, mountRoot, shared)) {
                System.out.printf("wrote %s%n", folder);
            }
            System.out.printf(
                    "broker certificate valid for %s; the components' SCRAM passwords go into the"
                            + " cluster with: aen topics --command-config %s --scram-passwords"
                            + " %s --acls%n",
                    String.join(", ", brokerHosts),
                    mountRoot
                            .resolve(ClusterCredentials.ADMIN)
                            .resolve(ClusterCredentials.CLIENT_CONFIG),
                    mountRoot.resolve(ClusterCredentials.ADMIN));
            return 0;
        }

        @Spec CommandSpec spec;
    }
}
