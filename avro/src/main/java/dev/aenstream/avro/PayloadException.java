package dev.aenstream.avro;

/** A matrix payload whose bytes do not match the shape or dtype its record declares. */
public class PayloadException extends RuntimeException {
    public PayloadException(String message) {
        super(message);
    }
}
