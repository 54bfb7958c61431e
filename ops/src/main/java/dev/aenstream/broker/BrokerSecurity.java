package dev.aenstream.broker;

import dev.aenstream.topics.ComponentAcls;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The security of an embedded broker started with {@code --secure}: a certificate authority and a
 * broker certificate made for it (PEM files), a SCRAM-SHA-512 password per principal, and the
 * client settings of each principal. Kept in the broker's folder (owner-only files), so a broker
 * that reuses its data directory keeps its credentials.
 */
public final class BrokerSecurity {
    /** The SASL mechanism of the client listener. */
    public static final String MECHANISM = "SCRAM-SHA-512";

    /** The broker's own principal: inter-broker traffic and the one super user. */
    public static final String ADMIN = "admin";

    /** One principal per component, so ACLs can give each only what it needs (docs/security.md). */
    public static final List<String> COMPONENTS = ComponentAcls.COMPONENTS;

    /** Subject of the broker certificate; its principal on the controller listener. */
    private static final String BROKER_SUBJECT = "CN=aen-broker";

    private static final Duration VALIDITY = Duration.ofDays(365);
    private static final String CA_FILE = "ca.pem";
    private static final String BROKER_FILE = "broker.pem";
    private static final String PASSWORDS_FILE = "passwords.properties";
    private static final int PASSWORD_BYTES = 24;

    private final Path dir;
    private final Map<String, String> passwords;

    private BrokerSecurity(Path dir, Map<String, String> passwords) {
        this.dir = dir;
        this.passwords = passwords;
    }

    /** The security kept in {@code dir}, made there first if it is not. */
    public static BrokerSecurity in(Path dir) {
        try {
            Files.createDirectories(dir);
            restrict(dir, "rwx------");
            if (!Files.exists(dir.resolve(PASSWORDS_FILE))) create(dir);
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

    private static void create(Path dir) throws IOException {
        try {
            KeyPair caKeys = rsa();
            X500Name caName = new X500Name("CN=aen-stream embedded CA");
            X509Certificate ca = certificate(caName, caName, caKeys, caKeys, true);
            KeyPair brokerKeys = rsa();
            X509Certificate broker =
                    certificate(new X500Name(BROKER_SUBJECT), caName, brokerKeys, caKeys, false);
            writePrivate(dir.resolve(CA_FILE), pem(ca));
            // Kafka's PEM key store: the private key (PKCS#8, unencrypted), then the chain.
            writePrivate(
                    dir.resolve(BROKER_FILE),
                    pem(new JcaPKCS8Generator(brokerKeys.getPrivate(), null).generate())
                            + pem(broker)
                            + pem(ca));
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("cannot make the broker's certificates", e);
        }
        SecureRandom random = new SecureRandom();
        Properties p = new Properties();
        for (String name : principals()) {
            byte[] bytes = new byte[PASSWORD_BYTES];
            random.nextBytes(bytes);
            p.setProperty(name, Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        }
        StringWriter w = new StringWriter();
        p.store(w, "SCRAM-SHA-512 passwords of the embedded broker's principals");
        writePrivate(dir.resolve(PASSWORDS_FILE), w.toString());
    }

    /** Every principal the broker knows: its own, then the components'. */
    public static List<String> principals() {
        var all = new java.util.ArrayList<String>();
        all.add(ADMIN);
        all.addAll(COMPONENTS);
        return all;
    }

    private static KeyPair rsa() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static X509Certificate certificate(
            X500Name subject, X500Name issuer, KeyPair subjectKeys, KeyPair issuerKeys, boolean ca)
            throws GeneralSecurityException,
                    IOException,
                    org.bouncycastle.operator.OperatorCreationException {
        Instant now = Instant.now();
        var b =
                new JcaX509v3CertificateBuilder(
                        issuer,
                        new BigInteger(64, new SecureRandom()),
                        Date.from(now.minus(Duration.ofMinutes(5))),
                        Date.from(now.plus(VALIDITY)),
                        subject,
                        subjectKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ca) {
            b.addExtension(
                    Extension.keyUsage,
                    true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(
                    Extension.keyUsage,
                    true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(
                    Extension.extendedKeyUsage,
                    false,
                    new ExtendedKeyUsage(
                            new KeyPurposeId[] {
                                KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                            }));
            b.addExtension(
                    Extension.subjectAlternativeName,
                    false,
                    new GeneralNames(
                            new GeneralName[] {
                                new GeneralName(GeneralName.dNSName, "localhost"),
                                new GeneralName(GeneralName.iPAddress, "127.0.0.1")
                            }));
        }
        ContentSigner signer =
                new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    }

    private static String pem(Object o) throws IOException {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(o);
        }
        return s.toString();
    }

    private static void writePrivate(Path file, String text) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file);
        restrict(file, "rw-------");
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(text);
        }
    }

    private static void restrict(Path path, String permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: its own defaults apply.
        }
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
        p.put("sasl.enabled.mechanisms", MECHANISM);
        p.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
        p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", jaas(ADMIN));
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
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + principal
                + "\" password=\""
                + password(principal)
                + "\";";
    }

    /** Client settings of {@code principal}: SASL_SSL, SCRAM-SHA-512, trusting the run's CA. */
    public Map<String, String> clientProperties(String principal) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", MECHANISM);
        p.put("sasl.jaas.config", jaas(principal));
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", caCertificate().toString());
        return p;
    }

    /**
     * Writes {@code principal}'s client settings as a properties file for {@code --command-config}
     * (owner-only) and returns its path.
     */
    public Path writeClientConfig(String principal) {
        Path file = dir.resolve(principal + ".properties");
        Properties p = new Properties();
        p.putAll(clientProperties(principal));
        try {
            StringWriter w = new StringWriter();
            p.store(w, "Kafka client settings of principal " + principal);
            writePrivate(file, w.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
