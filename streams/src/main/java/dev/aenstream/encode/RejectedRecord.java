package dev.aenstream.encode;

import dev.aenstream.avro.DeadLetterReason;

/** A record that cannot be processed, with the dead-letter reason it goes out with. */
final class RejectedRecord extends Exception {
    private final DeadLetterReason reason;

    RejectedRecord(DeadLetterReason reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    DeadLetterReason reason() {
        return reason;
    }
}
