package dev.aenstream.produce;

import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.Normalisation;
import java.util.Locale;
import java.util.Set;

/**
 * How activations are published: rows per record, element dtype, normalisation, Kafka compression,
 * and how many records may be in flight before {@code publish} blocks (back-pressure).
 */
public record PublisherConfig(
        String topic,
        String sourceModel,
        String hookPoint,
        String producerId,
        int rowsPerRecord,
        Dtype dtype,
        Normalisation normalisation,
        String compression,
        int lingerMs,
        int maxInFlightRecords) {
    public static final int DEFAULT_ROWS_PER_RECORD = 512;
    public static final String DEFAULT_COMPRESSION = "lz4";
    public static final int DEFAULT_LINGER_MS = 5;
    public static final int DEFAULT_MAX_IN_FLIGHT_RECORDS = 64;
    private static final Set<String> COMPRESSIONS = Set.of("none", "lz4", "zstd", "snappy", "gzip");

    public PublisherConfig {
        require(topic, "topic");
        require(sourceModel, "sourceModel");
        require(hookPoint, "hookPoint");
        require(producerId, "producerId");
        if (rowsPerRecord <= 0)
            throw new IllegalArgumentException(
                    "rows per record must be positive, got " + rowsPerRecord);
        if (dtype == null || normalisation == null)
            throw new IllegalArgumentException("dtype and normalisation are required");
        compression =
                compression == null ? DEFAULT_COMPRESSION : compression.toLowerCase(Locale.ROOT);
        if (!COMPRESSIONS.contains(compression)) {
            throw new IllegalArgumentException(
                    "compression must be one of " + COMPRESSIONS + ", got " + compression);
        }
        if (lingerMs < 0)
            throw new IllegalArgumentException("linger must be >= 0 ms, got " + lingerMs);
        if (maxInFlightRecords <= 0)
            throw new IllegalArgumentException("max in-flight records must be positive");
    }

    private static void require(String value, String name) {
        if (value == null || value.isBlank())
            throw new IllegalArgumentException(name + " is required");
    }

    /** Defaults for one producer of one source. */
    public static PublisherConfig of(
            String topic, String sourceModel, String hookPoint, String producerId) {
        return new PublisherConfig(
                topic,
                sourceModel,
                hookPoint,
                producerId,
                DEFAULT_ROWS_PER_RECORD,
                Dtype.FLOAT32,
                Normalisation.NONE,
                DEFAULT_COMPRESSION,
                DEFAULT_LINGER_MS,
                DEFAULT_MAX_IN_FLIGHT_RECORDS);
    }

    public PublisherConfig withRowsPerRecord(int rows) {
        return new PublisherConfig(
                topic,
                sourceModel,
                hookPoint,
                producerId,
                rows,
                dtype,
                normalisation,
                compression,
                lingerMs,
                maxInFlightRecords);
    }

    public PublisherConfig withDtype(Dtype d) {
        return new PublisherConfig(
                topic,
                sourceModel,
                hookPoint,
                producerId,
                rowsPerRecord,
                d,
                normalisation,
                compression,
                lingerMs,
                maxInFlightRecords);
    }

    public PublisherConfig withNormalisation(Normalisation norm) {
        return new PublisherConfig(
                topic,
                sourceModel,
                hookPoint,
                producerId,
                rowsPerRecord,
                dtype,
                norm,
                compression,
                lingerMs,
                maxInFlightRecords);
    }

    public PublisherConfig withCompression(String c) {
        return new PublisherConfig(
                topic,
                sourceModel,
                hookPoint,
                producerId,
                rowsPerRecord,
                dtype,
                normalisation,
                c,
                lingerMs,
                maxInFlightRecords);
    }
}
