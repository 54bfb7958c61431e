package dev.aenstream.online;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.topics.Producers;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The training loop's reports on their topics: trainer-metrics and dlq. */
public final class KafkaTrainerOutputs implements TrainerOutputs {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaTrainerOutputs.class);

    private final Topics topics;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AvroSerde<TrainerMetrics> metricsSerde = new AvroSerde<>(TrainerMetrics.class);
    private final AvroSerde<DeadLetter> deadLetters = new AvroSerde<>(DeadLetter.class);

    public KafkaTrainerOutputs(KafkaConnection connection, Topics topics) {
        this.topics = topics;
        this.producer = Producers.idempotent(connection, "aen-trainer-metrics");
    }

    @Override
    public void metrics(TrainerMetrics figures) {
        send(
                new ProducerRecord<>(
                        topics.trainerMetrics(),
                        figures.getSaeId().getBytes(StandardCharsets.UTF_8),
                        metricsSerde.toBytes(figures)),
                "trainer metrics");
    }

    @Override
    public void deadLetter(byte[] key, DeadLetter letter) {
        send(new ProducerRecord<>(topics.dlq(), key, deadLetters.toBytes(letter)), "a dead letter");
    }

    /** Sends {@code record}; a broker that is away costs the record a log line, not the run. */
    private void send(ProducerRecord<byte[], byte[]> record, String what) {
        try {
            producer.send(
                    record,
                    (m, e) -> {
                        if (e != null) LOG.warn("could not send {}: {}", what, e.toString());
                    });
        } catch (KafkaException e) {
            LOG.warn("could not send {}: {}", what, e.toString());
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
