package dev.aenstream.online;

import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.monitor.AlertSink;

/**
 * Where the training loop reports: figures, rows it set aside, and starvation. The topics in
 * production ({@link KafkaTrainerOutputs}), lists in a test. A report that cannot be delivered
 * costs a log line, never the run.
 */
public interface TrainerOutputs extends AutoCloseable {
    /** One SAE's figures after a step. */
    void metrics(TrainerMetrics figures);

    /** A record (or rows of it) the loop would not train on, keyed as it came. */
    void deadLetter(byte[] key, DeadLetter letter);

    /** Starvation and lost rows. */
    AlertSink alerts();

    @Override
    void close();
}
