package dev.aenstream.online;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aenstream.sae.Safetensors;
import dev.aenstream.sae.train.Checkpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The online trainer's checkpoint: consumer positions, the rows read but not yet trained on, and
 * the checkpoint file of each SAE, all taken at the same moment. Written last and atomically, so a
 * crash while checkpointing leaves the previous manifest whole.
 *
 * @param positions next offset to read per {@code topic-partition}
 * @param saes checkpoint file of each SAE, relative to the checkpoint directory
 * @param rowsRead rows read up to the positions (trained on, pending, or dead-lettered)
 * @param rowsDeadLettered rows among them sent to the dead letters (NaN or Inf)
 * @param rowChecksum sum of {@link dev.aenstream.avro.RowIds#hash} over the rows read and kept:
 *     checks that every row was read exactly once
 * @param sourceModel the source model the SAEs learn from, once bound (null before, and in
 *     manifests written before the binding was kept)
 * @param hookPoint the hook point they learn from, as {@code sourceModel}
 */
public record TrainerManifest(
        Map<String, Long> positions,
        String pendingFile,
        int pendingRows,
        long batchesTaken,
        Map<String, String> saes,
        long rowsRead,
        long rowsDeadLettered,
        long rowChecksum,
        String sourceModel,
        String hookPoint) {
    public static final String FILE = "trainer.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The source binding the SAEs learn from, as far as it was bound when written. */
    dev.aenstream.avro.SourceBinding source() {
        return new dev.aenstream.avro.SourceBinding(sourceModel, hookPoint);
    }

    public static TrainerManifest read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        return Files.exists(file) ? JSON.readValue(file.toFile(), TrainerManifest.class) : null;
    }

    /**
     * Writes the manifest aside, forces it to disk, renames it into place and forces the folder.
     */
    void write(Path dir) throws IOException {
        Path tmp = dir.resolve(FILE + ".tmp");
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), this);
        Checkpoints.force(tmp);
        Files.move(
                tmp,
                dir.resolve(FILE),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        Checkpoints.force(dir);
    }

    static String writePending(Path dir, long batchesTaken, float[] rows, int n)
            throws IOException {
        String name = String.format("pending-%012d.safetensors", batchesTaken);
        Map<String, Safetensors.Tensor> t = new LinkedHashMap<>();
        t.put("rows", Safetensors.Tensor.ofFloats(rows, rows.length / n, n));
        Safetensors.write(dir.resolve(name), t, Map.of());
        // On disk before the manifest that names it.
        Checkpoints.force(dir.resolve(name));
        Checkpoints.force(dir);
        try (var files = Files.list(dir)) {
            for (Path old :
                    files.filter(f -> f.getFileName().toString().startsWith("pending-"))
                            .sorted()
                            .toList()) {
                // Keep this one and the one the current manifest still names.
                if (old.getFileName().toString().compareTo(name) < 0
                        && !isNamedByManifest(dir, old)) Files.deleteIfExists(old);
            }
        }
        return name;
    }

    private static boolean isNamedByManifest(Path dir, Path file) throws IOException {
        TrainerManifest current = read(dir);
        return current != null && file.getFileName().toString().equals(current.pendingFile());
    }

    float[] pending(Path dir) throws IOException {
        return Safetensors.read(dir.resolve(pendingFile)).require("rows").toFloats();
    }
}
