package dev.aenstream.experiment;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The finished runs of an experiment, one JSON object per line in {@code runs.jsonl}: appended and
 * forced to disk as each run ends, so a killed experiment resumes after its last finished run, and
 * the files of several shards merge by concatenation.
 */
public final class RunStore {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> ROW =
            new TypeReference<>() {};

    private final Path file;
    private final Map<String, Map<String, Object>> runs = new LinkedHashMap<>();

    private RunStore(Path file) {
        this.file = file;
    }

    /** Opens (or starts) the store in {@code dir}. */
    public static RunStore open(Path dir) throws IOException {
        Files.createDirectories(dir);
        RunStore store = new RunStore(dir.resolve("runs.jsonl"));
        store.load(store.file);
        store.endLine();
        return store;
    }

    /**
     * Adds the runs of another store's file (another shard), keeping ours where both hold a run;
     * returns how many were new.
     */
    public int merge(Path other) throws IOException {
        Path source = Files.isDirectory(other) ? other.resolve("runs.jsonl") : other;
        if (!Files.exists(source))
            throw new IllegalArgumentException("no runs to merge at " + source);
        int before = runs.size();
        List<Map<String, Object>> fresh = new ArrayList<>();
        for (Map<String, Object> row : read(source)) {
            if (!runs.containsKey((String) row.get("key"))) {
                runs.put((String) row.get("key"), row);
                fresh.add(row);
            }
        }
        for (Map<String, Object> row : fresh) append(row);
        return runs.size() - before;
    }

    /** Ends a line a kill cut short, so the next run's line starts on its own. */
    private void endLine() throws IOException {
        if (!Files.exists(file) || Files.size(file) == 0) return;
        try (var channel = java.nio.channels.FileChannel.open(file, StandardOpenOption.READ)) {
            java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
            channel.read(last, channel.size() - 1);
            if (last.get(0) == '\n') return;
        }
        Files.writeString(file, "\n", StandardOpenOption.APPEND);
    }

    private void load(Path source) throws IOException {
        if (!Files.exists(source)) return;
        for (Map<String, Object> row : read(source)) runs.put((String) row.get("key"), row);
    }

    private static List<Map<String, Object>> read(Path source) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        int line = 0;
        for (String text : Files.readAllLines(source, StandardCharsets.UTF_8)) {
            line++;
            if (text.isBlank()) continue;
            try {
                Map<String, Object> row = JSON.readValue(text, ROW);
                if (row.get("key") instanceof String) rows.add(row);
            } catch (IOException e) {
                // A line cut short by a kill mid-write: that run is simply run again.
                System.out.printf("ignoring unreadable line %d of %s%n", line, source);
            }
        }
        return rows;
    }

    public boolean done(String key) {
        return runs.containsKey(key);
    }

    /** Records a finished run, durably, before the next one starts. */
    public void add(Map<String, Object> row) throws IOException {
        runs.put((String) row.get("key"), row);
        append(row);
    }

    private void append(Map<String, Object> row) throws IOException {
        byte[] line = (JSON.writeValueAsString(row) + "\n").getBytes(StandardCharsets.UTF_8);
        try (var channel =
                java.nio.channels.FileChannel.open(
                        file,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND)) {
            channel.write(java.nio.ByteBuffer.wrap(line));
            channel.force(true);
        }
    }

    /** Every run, in the order they finished. */
    public List<Map<String, Object>> runs() {
        return List.copyOf(runs.values());
    }
}
