package dev.aenstream.models;

import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import dev.aenstream.sae.onnx.OnnxPackage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Puts model versions back together from the models topic: writes the chunks of each SAE's newest
 * version to a file as they arrive (a version is never whole in memory, so its size is bounded by
 * disk only), hashing them on the way, and when the metadata arrives checks that every chunk is
 * there and that the bytes match the checksum.
 *
 * <p>Chunks of one version arrive in index order (one partition, one producer, and compaction keeps
 * the order), so each is appended; a gap refuses the version.
 *
 * <p>Chunks are not signed (the metadata is, and its checksum covers them), so whoever can write
 * the topic can send chunks of any version: spools are bounded in number (a few per SAE, {@link
 * #MAX_SPOOLS} in all, the one least recently written giving way) and in bytes, so a forged version
 * never pins an SAE; followers that check signatures also drop chunks not signed by a trusted key
 * before they reach a spool ({@link ModelTrust#chunkRefusal}).
 */
public final class ModelAssembler implements AutoCloseable {
    /**
     * A complete version that passed its checksum, in {@code file}; the caller owns the file and
     * deletes it when done.
     */
    public record Assembled(SaeModel model, Path file) {
        /** True when the file is a graph with external data after it ({@link OnnxPackage}). */
        public boolean packaged() {
            return model.getGraphBytes() >= 0;
        }

        /** The ONNX graph: the whole file, or its first {@code graphBytes} bytes. */
        public byte[] graph() throws IOException {
            long length = packaged() ? model.getGraphBytes() : model.getSizeBytes();
            if (length > Integer.MAX_VALUE - 8)
                throw new IOException("a graph of " + length + " bytes exceeds ONNX's 2 GiB");
            ByteBuffer out = ByteBuffer.allocate((int) length);
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                while (out.hasRemaining()) if (in.read(out, out.position()) < 0) break;
            }
            if (out.hasRemaining()) throw new IOException(file + " ends inside its graph");
            return out.array();
        }

        /** Where the graph's external data starts in the file. */
        public long weightsStart() {
            return OnnxPackage.weightsStart(model.getGraphBytes());
        }

        /** How many bytes of external data follow the graph (0 when self-contained). */
        public long weightsBytes() {
            return packaged() ? model.getSizeBytes() - weightsStart() : 0;
        }

        /** Removes the file. */
        public void delete() {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** A version that cannot be used, and why. */
    public static final class RefusedModel extends Exception {
        private final SaeModel model;

        RefusedModel(SaeModel model, String reason) {
            super(
                    "SAE " + model.getSaeId() + " v" + model.getVersion() + " refused: " + reason,
                    null,
                    false,
                    false);
            this.model = model;
        }

        public SaeModel model() {
            return model;
        }
    }

    /** Versions spooled at once in all: each holds a file open. */
    static final int MAX_SPOOLS = 16;

    /** Versions of one SAE spooled at once: the one being published, and a newer one begun. */
    static final int MAX_SPOOLS_PER_SAE = 2;

    /** The largest version spooled by default: eight times a Llama-size SAE (4.3 GB). */
    static final long DEFAULT_MAX_VERSION_BYTES = 32L << 30;

    /** A version of one SAE being written to disk. */
    private static final class Spool {
        final String saeId;
        final long version;
        final Path file;
        final FileChannel channel;
        final MessageDigest sha256 = ModelRecords.sha256();
        int nextIndex;
        long bytes;
        String broken;

        Spool(String saeId, long version, Path file) throws IOException {
            this.saeId = saeId;
            this.version = version;
            this.file = file;
            this.channel =
                    FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }

        void discard() {
            try {
                channel.close();
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // A file left behind is removed with the folder.
            }
        }
    }

    private final Path dir;
    private final SpoolFolder folder;
    private final long maxVersionBytes;

    /** Versions being spooled, by SAE id and version, least recently written first. */
    private final Map<String, Spool> pending = new LinkedHashMap<>(16, 0.75f, true);

    private long files;

    /**
     * Spools versions in a temporary folder of its own, removed on {@link #close()} (or by the next
     * follower, if this process is killed).
     */
    public ModelAssembler() {
        this(DEFAULT_MAX_VERSION_BYTES);
    }

    /** As {@link #ModelAssembler()}, spooling no version past {@code maxVersionBytes}. */
    ModelAssembler(long maxVersionBytes) {
        this.folder = SpoolFolder.create();
        this.dir = folder.dir();
        this.maxVersionBytes = maxVersionBytes;
    }

    private static String key(String saeId, long version) {
        return saeId + "\u0000" + version;
    }

    public void add(SaeModelChunk chunk) {
        String id = chunk.getSaeId();
        String key = key(id, chunk.getVersion());
        Spool spool = pending.get(key);
        if (spool == null) {
            // A version starts at its first chunk; a later one alone is a version begun before
            // this follower read (compacted away, or forged), and nothing can be made of it.
            if (chunk.getIndex() != 0) return;
            makeRoom(id);
            try {
                // Named by a counter: the SAE id comes from the topic and is no file name.
                spool =
                        new Spool(
                                id,
                                chunk.getVersion(),
                                dir.resolve("version-" + files++ + ".part"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot spool SAE " + id + " to " + dir, e);
            }
            pending.put(key, spool);
        }
        if (spool.broken != null || chunk.getIndex() < spool.nextIndex) return;
        if (chunk.getIndex() > spool.nextIndex) {
            spool.broken = "chunk " + spool.nextIndex + " is missing";
            return;
        }
        if (spool.bytes + chunk.getData().remaining() > maxVersionBytes) {
            spool.broken = "it is larger than the " + maxVersionBytes + " bytes a follower spools";
            spool.discard();
            return;
        }
        ByteBuffer data = chunk.getData().duplicate();
        spool.sha256.update(data.duplicate());
        try {
            while (data.hasRemaining()) spool.channel.write(data);
        } catch (IOException e) {
            spool.broken = "its chunks cannot be written to " + dir + ": " + e.getMessage();
            return;
        }
        spool.bytes += chunk.getData().remaining();
        spool.nextIndex++;
    }

    /**
     * Discards the spools least recently written, of {@code saeId} and in all, so that one more
     * fits the bounds: a version being published gets a chunk every few milliseconds.
     */
    private void makeRoom(String saeId) {
        while (pending.values().stream().filter(s -> s.saeId.equals(saeId)).count()
                >= MAX_SPOOLS_PER_SAE) drop(saeId);
        while (pending.size() >= MAX_SPOOLS) drop(null);
    }

    /** Discards the spool least recently written, of {@code saeId} or (null) of any SAE. */
    private void drop(String saeId) {
        var begun = pending.values().iterator();
        while (begun.hasNext()) {
            Spool s = begun.next();
            if (saeId != null && !s.saeId.equals(saeId)) continue;
            s.discard();
            begun.remove();
            return;
        }
    }

    /** Discards what was spooled of {@code model}'s version, which will not be completed. */
    public void discard(SaeModel model) {
        Spool spool = pending.remove(key(model.getSaeId(), model.getVersion()));
        if (spool != null) spool.discard();
    }

    /** Versions being spooled now. */
    int spools() {
        return pending.size();
    }

    /** Bytes written to the spools being filled now. */
    long spooledBytes() {
        long sum = 0;
        for (Spool s : pending.values()) sum += s.bytes;
        return sum;
    }

    /** Completes the version the metadata names; the file is the caller's from here on. */
    public Assembled complete(SaeModel model) throws RefusedModel {
        Spool spool = pending.remove(key(model.getSaeId(), model.getVersion()));
        if (spool == null) {
            throw new RefusedModel(model, "its chunks were not found on the topic");
        }
        try {
            check(model, spool);
            spool.channel.close();
        } catch (RefusedModel | IOException e) {
            spool.discard();
            if (e instanceof RefusedModel refused) throw refused;
            throw new RefusedModel(model, "its file cannot be closed: " + e.getMessage());
        }
        return new Assembled(model, spool.file);
    }

    private static void check(SaeModel model, Spool spool) throws RefusedModel {
        if (spool.broken != null) throw new RefusedModel(model, spool.broken);
        if (spool.nextIndex != model.getChunkCount()) {
            throw new RefusedModel(
                    model, "has " + spool.nextIndex + " of " + model.getChunkCount() + " chunks");
        }
        if (spool.bytes != model.getSizeBytes())
            throw new RefusedModel(
                    model, "chunks hold " + spool.bytes + " of " + model.getSizeBytes() + " bytes");
        if (model.getGraphBytes() >= 0
                && OnnxPackage.weightsStart(model.getGraphBytes()) > model.getSizeBytes())
            throw new RefusedModel(
                    model,
                    "its graph of "
                            + model.getGraphBytes()
                            + " bytes does not fit its "
                            + model.getSizeBytes());
        String checksum = HexFormat.of().formatHex(spool.sha256.digest());
        if (!checksum.equals(model.getChecksum())) {
            throw new RefusedModel(
                    model,
                    "checksum "
                            + checksum
                            + " does not match the published "
                            + model.getChecksum());
        }
    }

    /** Discards the versions still arriving, and the folder. */
    @Override
    public void close() {
        pending.values().forEach(Spool::discard);
        pending.clear();
        folder.close();
    }
}
