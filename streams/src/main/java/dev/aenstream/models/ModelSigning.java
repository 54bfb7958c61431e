package dev.aenstream.models;

import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
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
     * The bytes a signature covers: every field that decides what an encoder runs or what readers
     * make of its features, in a fixed order, so a signature cannot be moved to other metadata.
     * Version 2 adds the normalisation, the sizes, the hyperparameters and the lineage to version
     * 1's fields; versions signed before it verify as version 1.
     */
    static byte[] signedBytes(SaeModel m) {
        StringBuilder text = new StringBuilder(signedText(m, "aen-stream model v2"));
        text.append("\nnormalisation ").append(m.getNormalisation());
        text.append("\nsize ").append(m.getSizeBytes());
        text.append("\nchunks ").append(m.getChunkCount());
        new java.util.TreeMap<>(m.getHyperparameters())
                .forEach(
                        (k, v) ->
                                text.append("\nhyperparameter ")
                                        .append(escape(k.toString()))
                                        .append('=')
                                        .append(escape(v.toString())));
        if (m.getLineageFrom() != null) {
            text.append("\nlineage from ").append(m.getLineageFrom());
            text.append(" features ").append(sha256Hex(m.getLineage()));
            text.append(" cos ").append(sha256Hex(m.getLineageCos()));
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Version 1's fields under {@code header}: all that signatures before version 2 cover. */
    private static String signedText(SaeModel m, String header) {
        String text =
                String.join(
                        "\n",
                        header,
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
        return text;
    }

    /** A line break in a key or value cannot forge another line. */
    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n");
    }

    private static String sha256Hex(ByteBuffer bytes) {
        if (bytes == null) return "-";
        MessageDigest sha256 = ModelRecords.sha256();
        sha256.update(bytes.duplicate());
        return HexFormat.of().formatHex(sha256.digest());
    }

    /**
     * The bytes a chunk's signature covers: its place in its version and the SHA-256 of its data,
     * so a signed chunk cannot be moved to another version, index or SAE.
     */
    static byte[] signedBytes(SaeModelChunk c) {
        MessageDigest sha256 = ModelRecords.sha256();
        sha256.update(c.getData().duplicate());
        return String.join(
                        "\n",
                        "aen-stream chunk v1",
                        c.getSaeId(),
                        Long.toString(c.getVersion()),
                        Integer.toString(c.getIndex()),
                        Integer.toString(c.getCount()),
                        HexFormat.of().formatHex(sha256.digest()))
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Signs {@code chunk} in place with {@code key}. */
    static void sign(SaeModelChunk chunk, PrivateKey key) {
        chunk.setSignature(ByteBuffer.wrap(signature(signedBytes(chunk), key)));
    }

    /** Whether {@code chunk} carries a valid signature of {@code key}. */
    static boolean verify(SaeModelChunk chunk, PublicKey key) {
        return chunk.getSignature() != null
                && verifies(signedBytes(chunk), chunk.getSignature(), key);
    }

    private static byte[] signature(byte[] bytes, PrivateKey key) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(bytes);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
        }
    }

    private static boolean verifies(byte[] bytes, ByteBuffer signature, PublicKey key) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(bytes);
            ByteBuffer sig = signature.duplicate();
            byte[] given = new byte[sig.remaining()];
            sig.get(given);
            return s.verify(given);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Signs {@code model} in place with {@code key}, whose public half is {@code publicKey}. */
    public static void sign(SaeModel model, PrivateKey key, PublicKey publicKey) {
        model.setSigningKeyId(keyId(publicKey));
        model.setSignature(ByteBuffer.wrap(signature(signedBytes(model), key)));
    }

    /**
     * Whether {@code model} carries a valid signature of {@code key}: over version 2's fields, or
     * for a version signed before those existed, over version 1's.
     */
    public static boolean verify(SaeModel model, PublicKey key) {
        if (model.getSignature() == null) return false;
        return verifies(signedBytes(model), model.getSignature(), key)
                || verifies(
                        signedText(model, "aen-stream model v1").getBytes(StandardCharsets.UTF_8),
                        model.getSignature(),
                        key);
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
