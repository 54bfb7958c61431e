package dev.aenstream.avro;

import org.apache.kafka.common.errors.SerializationException;

/** Bytes that are not a record of the expected type; {@link #problem()} says why. */
public class RecordDecodingException extends SerializationException {
    /** What was wrong with the bytes. */
    public enum Problem {
        /** Not Avro single-object encoding: missing or wrong magic header. */
        BAD_HEADER,
        /** The header names a schema fingerprint this store has never seen. */
        UNKNOWN_SCHEMA,
        /** The bytes end before the record does. */
        TRUNCATED,
        /** The body does not decode under the writer's schema. */
        CORRUPT
    }

    private final Problem problem;

    public RecordDecodingException(Problem problem, String message, Throwable cause) {
        super(problem + ": " + message, cause);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
