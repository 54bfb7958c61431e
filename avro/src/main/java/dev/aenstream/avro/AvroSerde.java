package dev.aenstream.avro;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SystemLimitException;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for one of our record types in Avro single-object encoding: a two-byte marker and the
 * writer schema's 64-bit fingerprint, then the body. Readers resolve the fingerprint through {@link
 * SchemaHistory}, so records written by older schema versions still decode.
 */
public final class AvroSerde<T extends SpecificRecord>
        implements Serde<T>, Serializer<T>, Deserializer<T> {
    static {
        // A length or count in the bytes is believed only up to what a record can hold: no record
        // is over MAX_MESSAGE_BYTES, and every string, byte or collection item takes at least a
        // byte. Avro's defaults (2^31) let 80 forged bytes allocate gigabytes
        // (AvroRecordsFuzzTest).
        // Avro reads these once, when it first checks a limit; a process set otherwise keeps its.
        String limit = Integer.toString(Topics.MAX_MESSAGE_BYTES);
        for (String property :
                new String[] {
                    SystemLimitException.MAX_BYTES_LENGTH_PROPERTY,
                    SystemLimitException.MAX_STRING_LENGTH_PROPERTY,
                    SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY,
                    SystemLimitException.MAX_COLLECTION_ALLOCATION_PROPERTY
                }) if (System.getProperty(property) == null) System.setProperty(property, limit);
        // Avro 1.12 refuses to instantiate classes it was not told to trust; ours are generated
        // here.
        ClassSecurityValidator.setGlobal(
                ClassSecurityValidator.composite(
                        ClassSecurityValidator.getGlobal(),
                        type -> type.getPackageName().equals(AvroSerde.class.getPackageName())));
    }

    /**
     * Makes Avro trust this package's generated classes (the class's initialiser does), for code
     * that builds a record holding nested records before any serde exists.
     */
    public static void trustGeneratedClasses() {
        // Calling any static member runs the initialiser above.
    }

    private final Class<T> type;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    public AvroSerde(Class<T> type) {
        this(type, SchemaHistory.store());
    }

    public AvroSerde(Class<T> type, SchemaStore store) {
        this.type = type;
        Schema schema = SpecificData.get().getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(SpecificData.get(), schema);
        this.decoder = new BinaryMessageDecoder<>(SpecificData.get(), schema, store);
    }

    /** Encodes a record to its single-object bytes. */
    public byte[] toBytes(T record) {
        try {
            ByteBuffer buffer = encoder.encode(record);
            byte[] out = new byte[buffer.remaining()];
            buffer.get(out);
            return out;
        } catch (IOException | AvroRuntimeException | NullPointerException e) {
            throw new SerializationException(
                    "cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decodes single-object bytes.
     *
     * @throws RecordDecodingException naming what is wrong with the bytes
     */
    public T fromBytes(byte[] bytes) {
        if (bytes == null) {
            throw new RecordDecodingException(
                    RecordDecodingException.Problem.BAD_HEADER,
                    "null bytes are not a " + type.getSimpleName(),
                    null);
        }
        try {
            return decoder.decode(bytes);
        } catch (BadHeaderException e) {
            throw new RecordDecodingException(
                    RecordDecodingException.Problem.BAD_HEADER,
                    "not an Avro single-object "
                            + type.getSimpleName()
                            + " ("
                            + e.getMessage()
                            + ")",
                    e);
        } catch (MissingSchemaException e) {
            throw new RecordDecodingException(
                    RecordDecodingException.Problem.UNKNOWN_SCHEMA,
                    "no known schema for "
                            + type.getSimpleName()
                            + " bytes ("
                            + e.getMessage()
                            + ")",
                    e);
        } catch (EOFException e) {
            throw new RecordDecodingException(
                    RecordDecodingException.Problem.TRUNCATED,
                    type.getSimpleName() + " bytes end early after " + bytes.length + " bytes",
                    e);
        } catch (IOException | RuntimeException e) {
            if (rootCause(e) instanceof EOFException) {
                throw new RecordDecodingException(
                        RecordDecodingException.Problem.TRUNCATED,
                        type.getSimpleName() + " bytes end early after " + bytes.length + " bytes",
                        e);
            }
            throw new RecordDecodingException(
                    RecordDecodingException.Problem.CORRUPT,
                    "corrupt " + type.getSimpleName() + " body: " + e,
                    e);
        }
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return data == null ? null : toBytes(data);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return data == null ? null : fromBytes(data);
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {}

    @Override
    public void close() {}
}
