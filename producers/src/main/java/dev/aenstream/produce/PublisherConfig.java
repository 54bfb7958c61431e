package dev.aenstream.produce;

import static dev.aenstream.sae.setting.Setting.Defaults.always;

import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.setting.Setting.Rule;
import dev.aenstream.sae.setting.SettingValues;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * How activations are published: where they go and what they are (topic, source model, hook point,
 * producer id, normalisation), and a value for each {@link Setting} in {@link #ALL}: rows per
 * record, element dtype, Kafka compression and linger, and how many records may be in flight before
 * {@code publish} blocks (back-pressure).
 */
public record PublisherConfig(
        String topic,
        String sourceModel,
        String hookPoint,
        String producerId,
        Normalisation normalisation,
        SettingValues settings) {
    public static final Setting<Integer> ROWS_PER_RECORD =
            Setting.integer(
                    "rowsPerRecord",
                    "rows-per-record",
                    "ROWS",
                    always(512),
                    Rule.positive(),
                    "Rows in one activation record; encoders run one ONNX Runtime call per record");

    public static final Setting<Dtype> DTYPE =
            Setting.choice(
                    "dtype", "dtype", "DTYPE", Dtype.class, Dtype.FLOAT32, "Payload element type");

    public static final Setting<String> COMPRESSION =
            Setting.text(
                    "compression",
                    "compression",
                    "CODEC",
                    "lz4",
                    Rule.oneOf(new TreeSet<>(Set.of("none", "lz4", "zstd", "snappy", "gzip"))),
                    "Kafka compression of the activation records");

    public static final Setting<Integer> LINGER_MS =
            Setting.integer(
                    "lingerMs",
                    null,
                    "MS",
                    always(5),
                    Rule.nonNegative(),
                    "How long the Kafka producer waits to fill a batch");

    public static final Setting<Integer> MAX_IN_FLIGHT_RECORDS =
            Setting.integer(
                    "maxInFlightRecords",
                    null,
                    "RECORDS",
                    always(64),
                    Rule.positive(),
                    "Records sent but not yet acknowledged before publish blocks");

    /** Every publisher setting, in the order --help lists them. */
    public static final List<Setting<?>> ALL =
            List.of(ROWS_PER_RECORD, DTYPE, COMPRESSION, LINGER_MS, MAX_IN_FLIGHT_RECORDS);

    public PublisherConfig {
        require(topic, "topic");
        require(sourceModel, "sourceModel");
        require(hookPoint, "hookPoint");
        require(producerId, "producerId");
        if (normalisation == null) throw new IllegalArgumentException("normalisation is required");
        if (settings == null) throw new IllegalArgumentException("publisher settings are required");
        for (Setting<?> s : ALL) settings.get(s);
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
                Normalisation.NONE,
                SettingValues.defaults(ALL));
    }

    /** The value of {@code setting}. */
    public <T> T get(Setting<T> setting) {
        return settings.get(setting);
    }

    /** This configuration with {@code setting} changed, checked against its rule. */
    public PublisherConfig with(Setting<?> setting, Object value) {
        return new PublisherConfig(
                topic,
                sourceModel,
                hookPoint,
                producerId,
                normalisation,
                settings.with(setting, value));
    }

    /** This configuration with each of {@code given}'s settings changed. */
    public PublisherConfig with(java.util.Map<Setting<?>, Object> given) {
        PublisherConfig c = this;
        for (var e : given.entrySet()) c = c.with(e.getKey(), e.getValue());
        return c;
    }

    public PublisherConfig withNormalisation(Normalisation norm) {
        return new PublisherConfig(topic, sourceModel, hookPoint, producerId, norm, settings);
    }
}
