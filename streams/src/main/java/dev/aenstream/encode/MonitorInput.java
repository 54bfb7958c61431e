package dev.aenstream.encode;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes one of the topics the monitor watches besides the codes (the trainer's facts, the
 * producers' splice figures): anyone with write access can put anything there, so a record that is
 * not the topic's Avro type goes to the dead letters whole, with where it was read, and the stream
 * goes on.
 */
final class MonitorInput<T extends SpecificRecord>
        implements Processor<byte[], byte[], byte[], Object> {
    private static final Logger LOG = LoggerFactory.getLogger(MonitorInput.class);

    /** The application a monitor input's dead letters name. */
    static final String APPLICATION = "monitor";

    private final AvroSerde<T> serde;
    private final String decoded;
    private final String deadLetters;
    private final int maxRecordBytes;
    private ProcessorContext<byte[], Object> context;

    private MonitorInput(Class<T> type, String decoded, String deadLetters, int maxRecordBytes) {
        this.serde = new AvroSerde<>(type);
        this.decoded = decoded;
        this.deadLetters = deadLetters;
        this.maxRecordBytes = maxRecordBytes;
    }

    /**
     * The records of {@code topic} as {@code type}, read under the source name {@code name}; those
     * that do not decode go to the dead-letter topic.
     */
    static <T extends SpecificRecord> KStream<byte[], T> read(
            StreamsBuilder builder,
            Topics topics,
            String topic,
            Class<T> type,
            String name,
            int maxRecordBytes) {
        String decoded = name + "-decoded";
        String deadLetters = name + "-dead-letters";
        KStream<byte[], Object> read =
                builder.stream(
                                topic,
                                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                                        .withName(name))
                        .process(
                                () ->
                                        new MonitorInput<>(
                                                type, decoded, deadLetters, maxRecordBytes),
                                Named.as("read-" + name));
        read.mapValues(v -> (DeadLetter) v, Named.as(deadLetters))
                .to(
                        topics.dlq(),
                        Produced.with(Serdes.ByteArray(), new AvroSerde<>(DeadLetter.class))
                                .withName(deadLetters + "-sink"));
        return read.mapValues(type::cast, Named.as(decoded));
    }

    @Override
    public void init(ProcessorContext<byte[], Object> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        T value;
        try {
            value = ActivationCheck.decode(serde, record.value());
        } catch (RejectedRecord e) {
            DeadLetters.Source source = DeadLetters.Source.of(context);
            LOG.warn(
                    "a record at {}-{}@{} is not readable and goes to the dead letters: {}",
                    source.topic(),
                    source.partition(),
                    source.offset(),
                    e.getMessage());
            DeadLetter letter =
                    DeadLetters.of(
                            e.reason(),
                            e.getMessage(),
                            APPLICATION,
                            source,
                            record.key(),
                            record.value(),
                            record.timestamp(),
                            maxRecordBytes);
            context.forward(record.withValue(letter), deadLetters);
            return;
        }
        context.forward(record.withValue(value), decoded);
    }
}
