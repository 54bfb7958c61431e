package dev.aenstream.broker;

import dev.aenstream.topics.ComponentAcls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The security of an embedded broker started with {@code --secure}: a certificate authority and a
 * broker certificate made for it (PEM files), a SCRAM-SHA-512 password per principal, and the
 * client settings of each principal. Kept in the broker's folder (owner-only files), so a broker
 * that reuses its data directory keeps its credentials.
 */
public final class BrokerSecurity {
    /** The SASL mechanism of the client listener. */
    public static final String MECHANISM = "SCRAM-SHA-512";

    /**
     * The listener's second mechanism, the same passwords sent inside TLS: for clients whose SCRAM
     * this Kafka refuses (librdkafka before 2.6.1, as Debian's Python client ships).
     */
    public static final String PLAIN = "PLAIN";

    private static final String SCRAM_LOGIN =
            "org.apache.kafka.common.security.scram.ScramLoginModule";
    private static final String PLAIN_LOGIN =
            "org.apache.kafka.common.security.plain.PlainLoginModule";

    /** The broker's own principal: inter-broker traffic and the one super user. */
    public static final String ADMIN = "admin";

    /** One principal per component, so ACLs can give each only what it needs (docs/security.md). */
    public static final List<String> COMPONENTS = ComponentAcls.COMPONENTS;

    /** Subject of the broker certificate; its principal on the controller listener. */
    static final String BROKER_SUBJECT = "CN=aen-broker";

    private static final String CA_FILE = "ca.pem";
    private static final String BROKER_FILE = "broker.pem";
    private static final String PASSWORDS_FILE = "passwords.properties";

    private final Path dir;
    private final Map<String, String> passwords;

    private BrokerSecurity(Path dir, Map<String, String> passwords) {
        this.dir = dir;
        this.passwords = passwords;
    }

    /**
     * The security kept in {@code dir}, made there first if it is not. Nodes of one quorum share
     * the folder and may start at once: it is made beside and renamed into place, so exactly one
     * node's credentials are kept and every node reads those.
     */
    public static BrokerSecurity in(Path dir) {
        try {
            if (!Files.exists(dir.resolve(PASSWORDS_FILE))) made(dir);
            Properties p = new Properties();
            try (var r = Files.newBufferedReader(dir.resolve(PASSWORDS_FILE))) {
                p.load(r);
            }
            Map<String, String> passwords = new LinkedHashMap<>();
            for (String name : p.stringPropertyNames()) passwords.put(name, p.getProperty(name));
            return new BrokerSecurity(dir, passwords);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up broker security in " + dir, e);
        }
    }

    private static void made(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path draft = Files.createTempDirectory(parent, dir.getFileName() + ".draft-");
        Pki.folder(draft, false);
        create(draft);
        try {
            // An empty folder is replaced; one another node filled first is kept.
            Files.move(draft, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException taken) {
            try (var files = Files.list(draft)) {
                for (Path f : files.toList()) Files.delete(f);
            }
            Files.delete(draft);
            if (!Files.exists(dir.resolve(PASSWORDS_FILE))) throw taken;
        }
    }

    private static void create(Path dir) throws IOException {
        Pki.Issued ca = Pki.authority("CN=aen-stream embedded CA");
        Pki.Issued broker = Pki.issue(ca, BROKER_SUBJECT, List.of("localhost", "127.0.0.1"));
        Pki.write(dir.resolve(CA_FILE), Pki.pem(ca.certificate()), false);
        Pki.write(dir.resolve(BROKER_FILE), broker.keyStorePem(ca), false);
        Map<String, String> passwords = new LinkedHashMap<>();
        for (String name : principals()) passwords.put(name, Pki.password());
        Pki.writeProperties(
                dir.resolve(PASSWORDS_FILE),
                passwords,
                "SCRAM-SHA-512 passwords of the embedded broker's principals",
                false);
    }

    /** Every principal the broker knows: its own, then the components'. */
    public static List<String> principals() {
        var all = new java.util.ArrayList<String>();
        all.add(ADMIN);
        all.addAll(COMPONENTS);
        return all;
    }

    /** The folder holding the certificates, passwords and client configuration files. */
    public Path dir() {
        return dir;
    }

    /** The CA certificate clients trust (PEM). */
    public Path caCertificate() {
        return dir.resolve(CA_FILE);
    }

    /** The broker's settings for SASL_SSL clients, a TLS controller listener and ACLs. */
    Map<String, String> brokerSettings() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("sasl.enabled.mechanisms", MECHANISM + "," + PLAIN);
        p.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
        p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", jaas(ADMIN));
        p.put("listener.name.sasl_ssl.plain.sasl.jaas.config", plainUsers());
        p.put("ssl.keystore.type", "PEM");
        p.put("ssl.keystore.location", brokerKeyStore().toString());
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", caCertificate().toString());
        // The controller quorum authenticates by certificate: only the broker's own is accepted.
        p.put("listener.name.controller.ssl.client.auth", "required");
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("super.users", "User:" + ADMIN + ";User:" + BROKER_SUBJECT);
        p.put("allow.everyone.if.no.acl.found", "false");
        return p;
    }

    /** Every principal's SCRAM credential, written into the cluster's metadata when formatted. */
    List<String> scramArguments() {
        return passwords.entrySet().stream()
                .map(e -> MECHANISM + "=[name=" + e.getKey() + ",password=" + e.getValue() + "]")
                .toList();
    }

    /** The broker's PEM key store: its private key and certificate chain. */
    private Path brokerKeyStore() {
        return dir.resolve(BROKER_FILE);
    }

    /** The SCRAM password of {@code principal}. */
    private String password(String principal) {
        String p = passwords.get(principal);
        if (p == null) throw new IllegalArgumentException("no principal named " + principal);
        return p;
    }

    /** The JAAS line of {@code principal}'s SCRAM login. */
    private String jaas(String principal) {
        return jaas(principal, password(principal));
    }

    static String jaas(String principal, String password) {
        return login(SCRAM_LOGIN, principal, password, "");
    }

    /** A JAAS line: {@code module}'s login as {@code principal}, then {@code more} options. */
    private static String login(String module, String principal, String password, String more) {
        return module
                + " required username=\""
                + principal
                + "\" password=\""
                + password
                + "\""
                + more
                + ";";
    }

    /** The broker's PLAIN login: every principal with its password. */
    private String plainUsers() {
        StringBuilder users = new StringBuilder();
        for (var e : passwords.entrySet())
            users.append(" user_")
                    .append(e.getKey())
                    .append("=\"")
                    .append(e.getValue())
                    .append('"');
        return login(PLAIN_LOGIN, ADMIN, password(ADMIN), users.toString());
    }

    /** Client settings of {@code principal} logging in with PLAIN over TLS, trusting the CA. */
    public Map<String, String> plainClientProperties(String principal) {
        Map<String, String> p = new LinkedHashMap<>(clientProperties(principal));
        p.put("sasl.mechanism", PLAIN);
        p.put("sasl.jaas.config", login(PLAIN_LOGIN, principal, password(principal), ""));
        return p;
    }

    /** Client settings of {@code principal}: SASL_SSL, SCRAM-SHA-512, trusting the run's CA. */
    public Map<String, String> clientProperties(String principal) {
        return saslSslClient(principal, password(principal), caCertificate());
    }

    /** Client settings of a SCRAM-SHA-512 login over TLS, trusting the CA in {@code ca} (PEM). */
    static Map<String, String> saslSslClient(String principal, String password, Path ca) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", MECHANISM);
        p.put("sasl.jaas.config", jaas(principal, password));
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", ca.toString());
        return p;
    }

    /**
     * Writes {@code principal}'s client settings as a properties file for {@code --command-config}
     * (owner-only) and returns its path.
     */
    public Path writeClientConfig(String principal) {
        write(principal + "-plain.properties", plainClientProperties(principal), principal);
        return write(principal + ".properties", clientProperties(principal), principal);
    }

    private Path write(String name, Map<String, String> settings, String principal) {
        Path file = dir.resolve(name);
        try {
            Pki.writeProperties(
                    file, settings, "Kafka client settings of principal " + principal, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
