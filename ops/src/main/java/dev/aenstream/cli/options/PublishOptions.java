package dev.aenstream.cli.options;

import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.produce.PublisherConfig;
import picocli.CommandLine.Option;

/** How activation rows are put on Kafka. */
public final class PublishOptions {
    @Option(
            names = "--rows-per-record",
            paramLabel = "ROWS",
            description =
                    "Rows in one activation record; encoders run one ONNX Runtime call per record"
                            + " (default: ${DEFAULT-VALUE}).")
    int rowsPerRecord = PublisherConfig.DEFAULT_ROWS_PER_RECORD;

    @Option(
            names = "--dtype",
            paramLabel = "DTYPE",
            description =
                    "Payload element type: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Dtype dtype = Dtype.FLOAT32;

    @Option(
            names = "--compression",
            paramLabel = "CODEC",
            description =
                    "Kafka compression: none, lz4, zstd, snappy or gzip (default:"
                            + " ${DEFAULT-VALUE}).")
    String compression = PublisherConfig.DEFAULT_COMPRESSION;

    @Option(
            names = "--producer-id",
            paramLabel = "ID",
            description =
                    "Id written into every record with its sequence number (default:"
                            + " <source>-<time>).")
    String producerId;

    @Option(
            names = "--rate",
            paramLabel = "ROWS_PER_S",
            description =
                    "Rows per second to aim for; 0 publishes as fast as Kafka takes them (default:"
                            + " ${DEFAULT-VALUE}).")
    public double rate = 0;

    public PublisherConfig config(String topic, String sourceModel, String hookPoint) {
        return config(topic, sourceModel, hookPoint, "synthetic");
    }

    /** The publisher's settings; without --producer-id the id is {@code idPrefix-<time>}. */
    public PublisherConfig config(
            String topic, String sourceModel, String hookPoint, String idPrefix) {
        if (rate < 0) throw new IllegalArgumentException("--rate must be >= 0, got " + rate);
        String id = producerId != null ? producerId : idPrefix + "-" + System.currentTimeMillis();
        return PublisherConfig.of(topic, sourceModel, hookPoint, id)
                .withRowsPerRecord(rowsPerRecord)
                .withDtype(dtype)
                .withNormalisation(Normalisation.NONE)
                .withCompression(compression);
    }
}
