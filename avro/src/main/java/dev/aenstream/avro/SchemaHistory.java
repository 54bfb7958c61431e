package dev.aenstream.avro;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.SchemaStore;

/**
 * Every version of our schemas that was ever written to a topic, so readers decode old bytes.
 *
 * <p>Archived versions live as resources under {@code dev/aenstream/avro/history/}, listed in its
 * {@code INDEX}; when a schema changes, its new text is archived there as well, and its fingerprint
 * added to {@code FINGERPRINTS} (tests enforce both).
 */
public final class SchemaHistory {
    private static final String DIR = "history/";
    private static final SchemaStore.Cache STORE = load();

    private SchemaHistory() {}

    /** A store resolving fingerprints of every archived schema version. */
    public static SchemaStore store() {
        return STORE;
    }

    /** The archived schemas, in INDEX order. */
    public static List<Schema> archived() {
        List<Schema> schemas = new ArrayList<>();
        // Each file is parsed alone so that two versions of one named type never clash.
        for (String name : archivedFiles()) schemas.add(new Schema.Parser().parse(read(name)));
        return schemas;
    }

    /**
     * The text of {@code history/FINGERPRINTS}: per archived file, in INDEX order, its name and the
     * Avro library's CRC-64-AVRO fingerprint in hex, for readers in other languages.
     */
    public static String fingerprintsFile() {
        return read("FINGERPRINTS");
    }

    /** The archived schemas' file names under {@code history/}, in INDEX order. */
    public static List<String> archivedFiles() {
        List<String> names = new ArrayList<>();
        for (String file : read("INDEX").split("\\R")) {
            String name = file.strip();
            if (!name.isEmpty() && !name.startsWith("#")) names.add(name);
        }
        return names;
    }

    private static SchemaStore.Cache load() {
        SchemaStore.Cache cache = new SchemaStore.Cache();
        archived().forEach(cache::addSchema);
        return cache;
    }

    private static String read(String name) {
        try (InputStream in = SchemaHistory.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("schema history resource missing: " + DIR + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
