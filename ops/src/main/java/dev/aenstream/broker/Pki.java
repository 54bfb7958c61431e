package dev.aenstream.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificates and secrets a secured Kafka needs: a CA, certificates it issues, random
 * passwords, and files only their owner reads.
 */
final class Pki {
    private static final Duration VALIDITY = Duration.ofDays(365);
    private static final int RSA_BITS = 2048;
    private static final int PASSWORD_BYTES = 24;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A key pair and the certificate that vouches for it. */
    record Issued(KeyPair keys, X509Certificate certificate) {
        /** Kafka's PEM key store: the private key (PKCS#8, unencrypted), then the chain. */
        String keyStorePem(Issued ca) {
            try {
                return pem(new JcaPKCS8Generator(keys.getPrivate(), null).generate())
                        + pem(certificate)
                        + pem(ca.certificate);
            } catch (IOException e) {
                throw new IllegalStateException("cannot write a PEM key store", e);
            }
        }
    }

    private Pki() {}

    /** A self-signed certificate authority named {@code subject}. */
    static Issued authority(String subject) {
        KeyPair keys = rsa();
        X500Name name = new X500Name(subject);
        return new Issued(keys, certificate(name, name, keys, keys, true, List.of()));
    }

    /**
     * A certificate for {@code subject} issued by {@code ca}, good for both ends of TLS, valid for
     * the host names (or IP addresses) in {@code hosts}.
     */
    static Issued issue(Issued ca, String subject, List<String> hosts) {
        KeyPair keys = rsa();
        X500Name issuer =
                X500Name.getInstance(ca.certificate.getSubjectX500Principal().getEncoded());
        return new Issued(
                keys, certificate(new X500Name(subject), issuer, keys, ca.keys, false, hosts));
    }

    /** A random password, URL-safe Base64 of 24 random bytes. */
    static String password() {
        byte[] bytes = new byte[PASSWORD_BYTES];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String pem(Object o) throws IOException {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(o);
        }
        return s.toString();
    }

    /** Writes {@code text} to a file only its owner reads (or anyone, when {@code shared}). */
    static void write(Path file, String text, boolean shared) throws IOException {
        write(file, text.getBytes(StandardCharsets.UTF_8), shared);
    }

    /**
     * Writes {@code values} as a Java properties file, like {@link #write(Path, String, boolean)}.
     */
    static void writeProperties(
            Path file, Map<String, String> values, String comment, boolean shared)
            throws IOException {
        Properties p = new Properties();
        p.putAll(values);
        StringWriter w = new StringWriter();
        p.store(w, comment);
        write(file, w.toString(), shared);
    }

    /**
     * Writes {@code bytes}; the permissions are set before any secret is in the file, and the file
     * is renamed into place whole, so nodes sharing a folder may write it at once.
     */
    static void write(Path file, byte[] bytes, boolean shared) throws IOException {
        Path draft = Files.createTempFile(file.toAbsolutePath().getParent(), ".draft-", "");
        try {
            restrict(draft, shared ? "rw-r--r--" : "rw-------");
            try (OutputStream out = Files.newOutputStream(draft)) {
                out.write(bytes);
            }
            Files.move(
                    draft,
                    file,
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(draft);
        }
    }

    /** A folder only its owner enters (or anyone, when {@code shared}). */
    static void folder(Path dir, boolean shared) throws IOException {
        Files.createDirectories(dir);
        restrict(dir, shared ? "rwxr-xr-x" : "rwx------");
    }

    private static void restrict(Path path, String permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: its own defaults apply.
        }
    }

    private static KeyPair rsa() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(RSA_BITS);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make RSA keys", e);
        }
    }

    private static X509Certificate certificate(
            X500Name subject,
            X500Name issuer,
            KeyPair subjectKeys,
            KeyPair issuerKeys,
            boolean ca,
            List<String> hosts) {
        Instant now = Instant.now();
        var b =
                new JcaX509v3CertificateBuilder(
                        issuer,
                        new BigInteger(64, RANDOM),
                        Date.from(now.minus(Duration.ofMinutes(5))),
                        Date.from(now.plus(VALIDITY)),
                        subject,
                        subjectKeys.getPublic());
        try {
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
                if (!hosts.isEmpty()) {
                    b.addExtension(
                            Extension.subjectAlternativeName,
                            false,
                            new GeneralNames(
                                    hosts.stream()
                                            .map(Pki::alternativeName)
                                            .toArray(GeneralName[]::new)));
                }
            }
            var signer =
                    new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(b.build(signer));
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot issue a certificate for " + subject, e);
        }
    }

    private static GeneralName alternativeName(String host) {
        boolean ip = host.matches("[0-9.]+") || host.contains(":");
        return new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, host);
    }
}
