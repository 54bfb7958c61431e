package dev.aenstream.chaos;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.broker.BrokerSecurity;
import dev.aenstream.models.ModelSigning;
import dev.aenstream.models.ModelTrust;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Who may do what in a soak: the brokers' credentials when secure (each component its own
 * principal), and the trainer's signing key with the public key encoders trust when signed.
 */
final class SoakAccess {
    private final BrokerSecurity security;
    private final Path securityDir;
    private final Path signingKey;
    private final Path trustedKey;

    private SoakAccess(
            BrokerSecurity security, Path securityDir, Path signingKey, Path trustedKey) {
        this.security = security;
        this.securityDir = securityDir;
        this.signingKey = signingKey;
        this.trustedKey = trustedKey;
    }

    /** Makes what {@code settings} asks for under {@code work}: credentials, a signing key. */
    static SoakAccess in(Path work, ChaosSettings settings) throws Exception {
        Path securityDir = work.resolve("security");
        BrokerSecurity security = settings.secure() ? BrokerSecurity.in(securityDir) : null;
        if (!settings.signed()) return new SoakAccess(security, securityDir, null, null);
        List<Path> keys =
                ModelSigning.write(
                        ModelSigning.generate(), work.resolve("keys").resolve("trainer"));
        return new SoakAccess(security, securityDir, keys.get(0), keys.get(1));
    }

    /** A quorum node's arguments for its security: all nodes share one folder. */
    List<String> broker() {
        return security == null
                ? List.of()
                : List.of("--secure", "--security-dir", securityDir.toString());
    }

    /** How {@code principal} reaches the brokers at {@code bootstrap}. */
    KafkaConnection connection(String bootstrap, String principal) {
        return security == null
                ? KafkaConnection.of(bootstrap)
                : new KafkaConnection(bootstrap, security.clientProperties(principal));
    }

    /** The trainer's credentials and signing key. */
    List<String> trainer() {
        List<String> args = credentials("trainer");
        if (signingKey != null) args.addAll(List.of("--signing-key", signingKey.toString()));
        return args;
    }

    /** An encoder's credentials and the keys it trusts. */
    List<String> encoder() {
        List<String> args = credentials("encoder");
        if (trustedKey == null) args.add("--allow-unsigned-models");
        else args.addAll(List.of("--trusted-keys", trustedKey.toString()));
        return args;
    }

    /** The versions the encoders may serve, as they judge them. */
    ModelTrust trust() {
        return trustedKey == null
                ? ModelTrust.anyVersion()
                : ModelTrust.signedBy(List.of(ModelSigning.readPublic(trustedKey)));
    }

    /** Whether the brokers authorise with ACLs, which the soak must then grant. */
    boolean secure() {
        return security != null;
    }

    private List<String> credentials(String principal) {
        List<String> args = new ArrayList<>();
        if (security != null)
            args.addAll(
                    List.of("--command-config", security.writeClientConfig(principal).toString()));
        return args;
    }
}
