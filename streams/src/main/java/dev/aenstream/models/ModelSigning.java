package dev.aenstream.models;

import dev.aenstream.avro.SaeModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Ed25519 signatures of model versions (docs/security.md): the trainer signs each version's
 * metadata, which names the SHA-256 of its graph, and encoders serve only versions signed by a key
 * they trust. Keys are PEM files: PKCS#8 for the private key, X.509 SubjectPublicKeyInfo for the
 * public one.
 */
public final class ModelSigning {
    private static final String ALGORITHM = "Ed25519";
    private static final String PRIVATE_PEM = "PRIVATE KEY";
    private static final String PUBLIC_PEM = "PUBLIC KEY";

    /** Hex digits of a key id. */
    private static final int KEY_ID_HEX = 16;

    private ModelSigning() {}

    /** A fresh key pair. */
    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no " + ALGORITHM, e);
        }
    }

    /**
     * The bytes a signature covers: every field that decides what an encoder runs, in a fixed
     * order, so a signature cannot be moved to other metadata.
     */
    static byte[] signedBytes(SaeModel m) {
        String text =
                String.join(
                        "\n",
                        "aen-stream model v1",
                        m.getSaeId(),
                        Long.toString(m.getVersion()),
                        m.getArch(),
                        Integer.toString(m.getN()),
                        Integer.toString(m.getD()),
                        Integer.toString(m.getKMax()),
                        m.getChecksum());
        // Where the graph ends decides what runs: signed whenever set, and absent from versions
        // signed before it existed, whose signatures stay valid.
        if (m.getGraphBytes() >= 0) text += "\ngraph " + m.getGraphBytes();
        // Which records a version takes decides what it encodes: signed the same way.
        if (m.getSourceModel() != null) text += "\nsource " + m.getSourceModel();
        if (m.getHookPoint() != null) text += "\nhook " + m.getHookPoint();
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Signs {@code model} in place with {@code key}, whose public half is {@code publicKey}. */
    public static void sign(SaeModel model, PrivateKey key, PublicKey publicKey) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(signedBytes(model));
            model.setSignature(ByteBuffer.wrap(s.sign()));
            model.setSigningKeyId(keyId(publicKey));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
        }
    }

    /** Whether {@code model} carries a valid signature of {@code key}. */
    public static boolean verify(SaeModel model, PublicKey key) {
        if (model.getSignature() == null) return false;
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(signedBytes(model));
            ByteBuffer sig = model.getSignature().duplicate();
            byte[] bytes = new byte[sig.remaining()];
            sig.get(bytes);
            return s.verify(bytes);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** A short public name of {@code key}: the first hex digits of its SHA-256. */
    public static String keyId(PublicKey key) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return HexFormat.of().formatHex(h).substring(0, KEY_ID_HEX);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes {@code keys} as {@code prefix.key} (owner-only) and {@code prefix.pub}; returns both
     * paths.
     */
    public static List<Path> write(KeyPair keys, Path prefix) throws IOException {
        Path priv = Path.of(prefix + ".key");
        Path pub = Path.of(prefix + ".pub");
        if (Files.exists(priv) || Files.exists(pub))
            throw new IOException("will not overwrite an existing key: " + priv + " or " + pub);
        if (prefix.toAbsolutePath().getParent() != null)
            Files.createDirectories(prefix.toAbsolutePath().getParent());
        Files.createFile(priv);
        try {
            Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: its own defaults apply.
        }
        Files.writeString(priv, pem(PRIVATE_PEM, keys.getPrivate().getEncoded()));
        Files.writeString(pub, pem(PUBLIC_PEM, keys.getPublic().getEncoded()));
        return List.of(priv, pub);
    }

    /** The private key of a PEM file {@link #write} made. */
    public static PrivateKey readPrivate(Path file) {
        try {
            return KeyFactory.getInstance(ALGORITHM)
                    .generatePrivate(new PKCS8EncodedKeySpec(unpem(file, PRIVATE_PEM)));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    file + " is not an Ed25519 private key (aen keys generate makes one)", e);
        }
    }

    /** The public key of a PEM file. */
    public static PublicKey readPublic(Path file) {
        try {
            return KeyFactory.getInstance(ALGORITHM)
                    .generatePublic(new X509EncodedKeySpec(unpem(file, PUBLIC_PEM)));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    file + " is not an Ed25519 public key (aen keys generate makes one)", e);
        }
    }

    /**
     * The public key written beside {@code privateKeyFile} ({@code PREFIX.pub} next to {@code
     * PREFIX.key}, as {@link #write} leaves them).
     */
    public static PublicKey publicOf(Path privateKeyFile) {
        Path pub = Path.of(privateKeyFile.toString().replaceFirst("\\.key$", "") + ".pub");
        if (!Files.exists(pub))
            throw new IllegalArgumentException(
                    "no public key beside "
                            + privateKeyFile
                            + ": expected "
                            + pub
                            + " (aen keys generate writes both)");
        return readPublic(pub);
    }

    /** Every public key of the given PEM files, or of the *.pub files of given folders. */
    public static List<PublicKey> readTrusted(List<Path> paths) throws IOException {
        List<PublicKey> keys = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (var files = Files.list(p)) {
                    for (Path f :
                            files.filter(f -> f.toString().endsWith(".pub")).sorted().toList())
                        keys.add(readPublic(f));
                }
            } else {
                keys.add(readPublic(p));
            }
        }
        return keys;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN "
                + type
                + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END "
                + type
                + "-----\n";
    }

    private static byte[] unpem(Path file, String type) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot read key " + file + ": " + e.getMessage(), e);
        }
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from)
            throw new IllegalArgumentException(file + " holds no PEM block of type " + type);
        return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
    }
}
