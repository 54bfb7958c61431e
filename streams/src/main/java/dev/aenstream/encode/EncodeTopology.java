package dev.aenstream.encode;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.Topics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.Topology;

/** activations → encode → codes, with unprocessable records → dead letters. */
public final class EncodeTopology {
    static final String SOURCE = "activations";
    static final String ENCODE = "encode";
    static final String CODES_SINK = "codes";
    static final String DEAD_LETTER_SINK = "dead-letters";

    private EncodeTopology() {}

    public static Topology build(Topics topics, SaeRegistry registry, EncodeStats stats) {
        // Values are read as raw bytes so that a record which does not decode still reaches the dead letters whole.
        return new Topology()
                .addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.activations())
                .addProcessor(ENCODE, () -> new EncodeProcessor(registry, stats), SOURCE)
                .addSink(CODES_SINK, topics.codes(), new ByteArraySerializer(), new AvroSerde<>(FeatureCodes.class), ENCODE)
                .addSink(DEAD_LETTER_SINK, topics.dlq(), new ByteArraySerializer(), new AvroSerde<>(DeadLetter.class), ENCODE);
    }
}
