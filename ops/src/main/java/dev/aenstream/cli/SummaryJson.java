package dev.aenstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a command's {@code --summary-json}: one indented JSON object, creating the parent folders.
 */
final class SummaryJson {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SummaryJson() {}

    /** Writes {@code summary} to {@code file} when a file was asked for. */
    static void write(Path file, Map<String, Object> summary) throws IOException {
        if (file == null) return;
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        JSON.writeValue(file.toFile(), summary);
        System.out.println("summary written to " + file);
    }
}
