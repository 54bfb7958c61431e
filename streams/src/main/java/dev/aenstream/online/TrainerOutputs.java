package dev.aenstream.online;

import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.TrainerMetrics;

/**
 * Where the training loop reports: its figures with the facts the monitor raises alerts from, and
 * the rows it set aside. The topics in production ({@link KafkaTrainerOutputs}), lists in a test. A
 * report that cannot be delivered costs a log line, never the run.
 */
public interface TrainerOutputs extends AutoCloseable {
    /** One SAE's figures and facts: after a metrics interval, or at once for a retention gap. */
    void metrics(TrainerMetrics figures);

    /** A record (or rows of it) the loop would not train on, keyed as it came. */
    void deadLetter(byte[] key, DeadLetter letter);

    @Override
    void close();
}
