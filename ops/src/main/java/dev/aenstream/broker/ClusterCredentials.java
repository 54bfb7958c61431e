package dev.aenstream.broker;

import dev.aenstream.topics.ComponentAcls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;

/**
 * The credentials of a deployed cluster, made by {@code aen keys cluster}: one folder per holder,
 * each becoming one Secret (or one Compose volume subpath), so no container sees another's.
 *
 * <ul>
 *   <li>{@code broker/}: the brokers' PKCS#12 key and trust stores and their passwords, named as
 *       the apache/kafka image reads them from {@code /etc/kafka/secrets}. The broker certificate
 *       (subject {@code CN=aen-broker}, a super user) serves the SCRAM client listener and
 *       authenticates brokers to each other by mutual TLS.
 *   <li>{@code admin/}: a client certificate ({@code CN=aen-admin}, a super user) for the set-up
 *       job on the brokers' mutual-TLS listener, and each component's SCRAM password, which that
 *       job writes into the cluster ({@code aen topics --scram-passwords}).
 *   <li>{@code producer/}, {@code encoder/}, {@code trainer/}, {@code dashboard/}: the component's
 *       {@code client.properties} (SASL_SSL, SCRAM-SHA-512) and the CA it trusts.
 * </ul>
 */
public final class ClusterCredentials {
    /** Folder of the brokers' stores. */
    public static final String BROKER = "broker";

    /** Folder of the set-up job's certificate and the components' passwords. */
    public static final String ADMIN = "admin";

    /** Every holder's Kafka client settings, for {@code --command-config}. */
    public static final String CLIENT_CONFIG = "client.properties";

    /** Where the deploy files mount the holders' folders in aen containers: ROOT/HOLDER. */
    public static final Path DEFAULT_MOUNT_ROOT = Path.of("/etc/aen/kafka");

    /** The names the apache/kafka image's KAFKA_SSL_* settings point at. */
    public static final String KEYSTORE = "kafka.keystore.p12",
            TRUSTSTORE = "kafka.truststore.p12",
            KEYSTORE_PASSWORD = "keystore.password",
            KEY_PASSWORD = "key.password",
            TRUSTSTORE_PASSWORD = "truststore.password";

    /** Kafka's default, and the most its brokers accept. */
    private static final int SCRAM_ITERATIONS = 8192;

    static final String ADMIN_SUBJECT = "CN=aen-admin";
    private static final String CA_FILE = "ca.pem";
    private static final String ADMIN_KEYSTORE = "admin.pem";

    private ClusterCredentials() {}

    /** The SCRAM password file of {@code component} in the admin folder. */
    public static String passwordFile(String component) {
        return component + ".password";
    }

    /** True when {@code out} already holds a set of credentials. */
    public static boolean exist(Path out) {
        return Files.exists(out.resolve(BROKER).resolve(KEYSTORE));
    }

    /**
     * Writes a new set under {@code out}.
     *
     * @param brokerHosts names and addresses the broker certificate is valid for (wildcards
     *     allowed)
     * @param mountRoot where containers mount each holder's folder, as ROOT/HOLDER; {@code out}
     *     itself (absolute) when the files are used in place
     * @param shared files readable by any user, for a store where each folder is only ever mounted
     *     into its own holder's container (a Compose volume read by containers of other uids)
     * @return the folders written
     */
    public static List<Path> write(
            Path out, List<String> brokerHosts, Path mountRoot, boolean shared) {
        if (brokerHosts.isEmpty()) throw new IllegalArgumentException("no broker host names");
        if (exist(out)) throw new IllegalStateException(out + " holds credentials already");
        try {
            Pki.folder(out, shared);
            Pki.Issued ca = Pki.authority("CN=aen-stream cluster CA");
            String caPem = Pki.pem(ca.certificate());
            List<Path> written = new ArrayList<>();
            written.add(writeBroker(out.resolve(BROKER), ca, brokerHosts, shared));
            Path admin = out.resolve(ADMIN);
            Pki.folder(admin, shared);
            Pki.write(admin.resolve(CA_FILE), caPem, shared);
            Pki.write(
                    admin.resolve(ADMIN_KEYSTORE),
                    Pki.issue(ca, ADMIN_SUBJECT, List.of()).keyStorePem(ca),
                    shared);
            Path adminMount = mountRoot.resolve(ADMIN);
            Map<String, String> tls = new LinkedHashMap<>();
            tls.put("security.protocol", "SSL");
            tls.put("ssl.keystore.type", "PEM");
            tls.put("ssl.keystore.location", adminMount.resolve(ADMIN_KEYSTORE).toString());
            tls.put("ssl.truststore.type", "PEM");
            tls.put("ssl.truststore.location", adminMount.resolve(CA_FILE).toString());
            Pki.writeProperties(
                    admin.resolve(CLIENT_CONFIG),
                    tls,
                    "Kafka client settings of the set-up job: mutual TLS as " + ADMIN_SUBJECT,
                    shared);
            written.add(admin);
            for (String component : ComponentAcls.COMPONENTS) {
                String password = Pki.password();
                Pki.write(admin.resolve(passwordFile(component)), password, shared);
                Path folder = out.resolve(component);
                Pki.folder(folder, shared);
                Pki.write(folder.resolve(CA_FILE), caPem, shared);
                Path at = mountRoot.resolve(component);
                Pki.writeProperties(
                        folder.resolve(CLIENT_CONFIG),
                        BrokerSecurity.saslSslClient(component, password, at.resolve(CA_FILE)),
                        "Kafka client settings of principal " + component,
                        shared);
                written.add(folder);
            }
            return written;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write credentials under " + out, e);
        }
    }

    private static Path writeBroker(Path dir, Pki.Issued ca, List<String> hosts, boolean shared)
            throws IOException {
        Pki.folder(dir, shared);
        Pki.Issued broker = Pki.issue(ca, BrokerSecurity.BROKER_SUBJECT, hosts);
        String storePassword = Pki.password();
        String trustPassword = Pki.password();
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry(
                    "aen-broker",
                    broker.keys().getPrivate(),
                    storePassword.toCharArray(),
                    new Certificate[] {broker.certificate(), ca.certificate()});
            Pki.write(dir.resolve(KEYSTORE), bytes(keys, storePassword), shared);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("aen-ca", ca.certificate());
            Pki.write(dir.resolve(TRUSTSTORE), bytes(trust, trustPassword), shared);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot write the brokers' key stores", e);
        }
        // PKCS#12 keeps the key under the store's password.
        Pki.write(dir.resolve(KEYSTORE_PASSWORD), storePassword, shared);
        Pki.write(dir.resolve(KEY_PASSWORD), storePassword, shared);
        Pki.write(dir.resolve(TRUSTSTORE_PASSWORD), trustPassword, shared);
        return dir;
    }

    private static byte[] bytes(KeyStore store, String password)
            throws IOException, GeneralSecurityException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        store.store(out, password.toCharArray());
        return out.toByteArray();
    }

    /**
     * Writes each component's SCRAM-SHA-512 password from {@code dir} (its {@link #passwordFile})
     * into the cluster, for the user of its principal; returns the users written. Upserts, so a
     * re-run after a password change rotates it.
     */
    public static List<String> installScram(Admin admin, Path dir, Map<String, String> principals)
            throws IOException, InterruptedException, ExecutionException {
        List<UserScramCredentialAlteration> upserts = new ArrayList<>();
        List<String> users = new ArrayList<>();
        for (var e : principals.entrySet()) {
            Path file = dir.resolve(passwordFile(e.getKey()));
            if (!Files.exists(file)) throw new NoSuchFileException(file + " (" + e.getKey() + ")");
            String user = e.getValue().replaceFirst("^User:", "");
            if (user.equals(e.getValue()) || user.isEmpty())
                throw new IllegalArgumentException(
                        "principal " + e.getValue() + " of " + e.getKey() + " is not a User:NAME");
            upserts.add(
                    new UserScramCredentialUpsertion(
                            user,
                            new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
                            readSecret(file)));
            users.add(user);
        }
        admin.alterUserScramCredentials(upserts).all().get();
        return users;
    }

    /** Reads a one-line secret file (a password), without its line end. */
    public static String readSecret(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8).strip();
    }
}
