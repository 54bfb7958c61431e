package dev.aenstream.produce.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.Stream;

/**
 * Where text comes from: a file, a directory of files, standard input, or the bundled English
 * corpus.
 */
public final class TextSource {
    /** The name {@code --text} takes for the bundled corpus. */
    public static final String CORPUS = "europarl";

    private TextSource() {}

    /**
     * Documents of {@code spec}: {@code -} reads standard input one line per document (so a pipe is
     * encoded as it arrives); {@value #CORPUS} the bundled corpus; a directory its regular files in
     * name order, recursively; a file the whole file.
     */
    public static Iterator<Document> open(String spec) throws IOException {
        if (spec.equals("-")) return lines("stdin", System.in);
        if (spec.equals(CORPUS)) return EuroparlEnglish.documents().iterator();
        Path path = Path.of(spec);
        if (Files.isDirectory(path)) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(path)) {
                files =
                        walk.filter(Files::isRegularFile)
                                .filter(p -> !p.getFileName().toString().startsWith("."))
                                .sorted()
                                .toList();
            }
            if (files.isEmpty()) throw new IOException("no files under " + path);
            return files.stream().map(TextSource::read).iterator();
        }
        if (!Files.isRegularFile(path)) throw new IOException("no such file or directory: " + path);
        return List.of(read(path)).iterator();
    }

    private static Document read(Path file) {
        try {
            return new Document(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read " + file + " as UTF-8 text: " + e.getMessage(), e);
        }
    }

    private static Iterator<Document> lines(String name, InputStream in) {
        BufferedReader reader =
                new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        return new Iterator<>() {
            private String next;
            private long line;

            @Override
            public boolean hasNext() {
                try {
                    while (next == null) {
                        String read = reader.readLine();
                        if (read == null) return false;
                        line++;
                        if (!read.isBlank()) next = read;
                    }
                    return true;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public Document next() {
                if (!hasNext()) throw new NoSuchElementException();
                Document d = new Document(name + ":" + line, next);
                next = null;
                return d;
            }
        };
    }
}
