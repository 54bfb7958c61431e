package dev.aenstream.encode;

import dev.aenstream.avro.DeadLetterReason;

/** A record that cannot be processed, with the dead-letter reason it goes out with. */
public final class RejectedRecord extends Exception {
    private static final long serialVersionUID = 1L;
    private final DeadLetterReason reason;

    public RejectedRecord(DeadLetterReason reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    public DeadLetterReason reason() {
        return reason;
    }
}
