package dev.aenstream.sae.train;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.Safetensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checkpoints of one SAE's training in {@code DIR/SAE_ID/}: safetensors files holding the
 * parameters, Adam state, EMA and per-feature last-fired tokens, with the step, the configuration,
 * a SHA-256 of the tensor bytes and caller extras (such as Kafka offsets) as metadata.
 *
 * <p>A checkpoint is written under a temporary name, forced to disk, renamed and the directory
 * forced, before the manifest {@code LATEST} names it; the manifest it replaces is kept as {@code
 * LATEST.previous}, the fallback when the newest checkpoint cannot be read. Pruning removes only
 * checkpoints neither manifest names, so a crash at any moment leaves a readable checkpoint.
 */
public final class Checkpoints {
    /** Infinity is a valid max grad norm (no clipping), so non-numeric numbers are allowed. */
    private static final ObjectMapper JSON =
            JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private static final String LATEST = "LATEST";
    private static final String PREVIOUS = "LATEST.previous";
    private static final String PARTIAL = ".partial";

    /** What a checkpoint's file name looks like; nothing else in the folder is ever deleted. */
    private static final java.util.regex.Pattern CHECKPOINT =
            java.util.regex.Pattern.compile("step-\\d{12}\\.safetensors(\\.partial)?");

    private static final org.slf4j.Logger LOG =
            org.slf4j.LoggerFactory.getLogger(Checkpoints.class);

    /** A loaded checkpoint. */
    public record Checkpoint(
            TrainState state,
            TrainConfig config,
            long tokens,
            long[] lastFired,
            Map<String, String> extra) {}

    private Checkpoints() {}

    public static Path save(
            Path dir,
            String saeId,
            TrainState state,
            TrainConfig config,
            long tokens,
            long[] lastFired,
            Map<String, String> extra)
            throws IOException {
        Path saeDir = dir.resolve(saeId);
        Files.createDirectories(saeDir);
        Map<String, Safetensors.Tensor> tensors = tensors(state, lastFired);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("sae_id", saeId);
        meta.put("step", Long.toString(state.step()));
        meta.put("tokens", Long.toString(tokens));
        meta.put("config", JSON.writeValueAsString(config));
        meta.put("sha256", checksum(tensors));
        extra.forEach((k, v) -> meta.put("extra." + k, v));
        String name = String.format("step-%012d.safetensors", state.step());
        Path file = saeDir.resolve(name);
        Path partial = saeDir.resolve(name + PARTIAL);
        try {
            Safetensors.write(partial, tensors, meta);
            force(partial);
            Files.move(
                    partial,
                    file,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            force(saeDir);
        } catch (IOException e) {
            // A full disk must not leave a half checkpoint behind; the manifests still name good
            // ones.
            Files.deleteIfExists(partial);
            throw e;
        }
        Path latest = saeDir.resolve(LATEST);
        String before = Files.exists(latest) ? Files.readString(latest).strip() : null;
        if (before != null && !before.equals(name)) replace(saeDir, PREVIOUS, before);
        replace(saeDir, LATEST, name);
        prune(saeDir);
        return file;
    }

    /** Writes {@code text} to {@code saeDir/target} atomically and durably. */
    private static void replace(Path saeDir, String target, String text) throws IOException {
        Path tmp = saeDir.resolve(target + ".tmp");
        Files.writeString(tmp, text);
        force(tmp);
        Files.move(
                tmp,
                saeDir.resolve(target),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        force(saeDir);
    }

    /** Forces a file's bytes, or a directory's entries, to the disk. */
    public static void force(Path path) throws IOException {
        boolean dir = Files.isDirectory(path);
        try (var channel =
                java.nio.channels.FileChannel.open(
                        path,
                        dir
                                ? java.nio.file.StandardOpenOption.READ
                                : java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems cannot open a directory for sync; the file itself was forced.
            if (!dir) throw e;
        }
    }

    /**
     * The newest checkpoint of {@code saeId}, verified against its checksum; null when there is
     * none.
     */
    public static Checkpoint latest(Path dir, String saeId) throws IOException {
        Path saeDir = dir.resolve(saeId);
        Path pointer = saeDir.resolve(LATEST);
        if (!Files.exists(pointer)) return null;
        String newest = Files.readString(pointer).strip();
        try {
            return load(saeDir.resolve(newest));
        } catch (IOException e) {
            Path previous = saeDir.resolve(PREVIOUS);
            if (!Files.exists(previous)) throw e;
            String fallback = Files.readString(previous).strip();
            LOG.warn(
                    "checkpoint {} of SAE {} cannot be read ({}); resuming from the previous one,"
                            + " {}",
                    newest,
                    saeId,
                    e.getMessage(),
                    fallback);
            return load(saeDir.resolve(fallback));
        }
    }

    public static Checkpoint load(Path file) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, String> meta = c.metadata();
        String expected = meta.get("sha256");
        String actual = checksum(c.tensors());
        if (expected == null || !expected.equals(actual)) {
            throw new IOException(
                    "checkpoint "
                            + file
                            + " is corrupt: checksum "
                            + actual
                            + " does not match "
                            + expected);
        }
        TrainConfig config = JSON.readValue(meta.get("config"), TrainConfig.class);
        float[][] m = new float[4][];
        float[][] v = new float[4][];
        for (int i = 0; i < 4; i++) {
            m[i] = c.require("m_" + TrainState.PARAMETER_ORDER[i]).toFloats();
            v[i] = c.require("v_" + TrainState.PARAMETER_ORDER[i]).toFloats();
        }
        SaeParameters params =
                new SaeParameters(
                        config.n(),
                        config.d(),
                        c.require("W_enc").toFloats(),
                        c.require("b_enc").toFloats(),
                        c.require("W_dec").toFloats(),
                        c.require("b_dec").toFloats());
        TrainState state =
                new TrainState(
                        Long.parseLong(meta.get("step")),
                        params,
                        m,
                        v,
                        c.require("ema").toFloats(),
                        // Checkpoints from before the ghost baseline have no firing EMA.
                        c.tensors().containsKey("firing_ema")
                                ? c.require("firing_ema").toFloats()
                                : TrainState.ones(config.d()),
                        // ... and those from before AuxK no tokens since firing.
                        c.tensors().containsKey("since_fired")
                                ? c.require("since_fired").toFloats()
                                : new float[config.d()]);
        long[] lastFired = new long[config.d()];
        c.require("last_fired")
                .data()
                .duplicate()
                .order(ByteOrder.LITTLE_ENDIAN)
                .asLongBuffer()
                .get(lastFired);
        Map<String, String> extra = new LinkedHashMap<>();
        meta.forEach(
                (k, val) -> {
                    if (k.startsWith("extra.")) extra.put(k.substring(6), val);
                });
        return new Checkpoint(state, config, Long.parseLong(meta.get("tokens")), lastFired, extra);
    }

    private static Map<String, Safetensors.Tensor> tensors(TrainState state, long[] lastFired) {
        Map<String, Safetensors.Tensor> t = new LinkedHashMap<>();
        SaeParameters p = state.params();
        long[][] shapes = {{p.d(), p.n()}, {p.d()}, {p.n(), p.d()}, {p.n()}};
        float[][] values = TrainState.values(p);
        for (int i = 0; i < 4; i++) {
            String name = TrainState.PARAMETER_ORDER[i];
            t.put(name, Safetensors.Tensor.ofFloats(values[i], shapes[i]));
            t.put("m_" + name, Safetensors.Tensor.ofFloats(state.adamM()[i], shapes[i]));
            t.put("v_" + name, Safetensors.Tensor.ofFloats(state.adamV()[i], shapes[i]));
        }
        t.put("ema", Safetensors.Tensor.ofFloats(state.ema(), p.d()));
        t.put("firing_ema", Safetensors.Tensor.ofFloats(state.firingEma(), p.d()));
        t.put("since_fired", Safetensors.Tensor.ofFloats(state.sinceFired(), p.d()));
        ByteBuffer fired = ByteBuffer.allocate(lastFired.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        fired.asLongBuffer().put(lastFired);
        t.put("last_fired", new Safetensors.Tensor("I64", new long[] {lastFired.length}, fired));
        return t;
    }

    private static String checksum(Map<String, Safetensors.Tensor> tensors) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, Safetensors.Tensor> e : tensors.entrySet()) {
                digest.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                digest.update(e.getValue().data().duplicate());
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes the checkpoints (and leftover partial ones) that neither manifest names. */
    private static void prune(Path saeDir) throws IOException {
        java.util.Set<String> named = new java.util.HashSet<>();
        for (String manifest : List.of(LATEST, PREVIOUS)) {
            Path m = saeDir.resolve(manifest);
            if (Files.exists(m)) named.add(Files.readString(m).strip());
        }
        try (var files = Files.list(saeDir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (CHECKPOINT.matcher(name).matches() && !named.contains(name))
                    Files.deleteIfExists(f);
            }
        }
    }
}
