package dev.aenstream.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetter;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.RecordDecodingException;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import dev.aenstream.avro.SaeState;
import dev.aenstream.avro.TrainerMetrics;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.RandomData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every record type read from a topic, whatever its bytes: decoded, or refused with a
 * RecordDecodingException (what the dead letters name), never another exception, an
 * OutOfMemoryError from a forged length, or a hang.
 */
class AvroRecordsFuzzTest {
    private static final int SEEDS = 8;

    @ParameterizedTest
    @ValueSource(
            classes = {
                ActivationBatch.class,
                FeatureCodes.class,
                FeatureStats.class,
                FeatureContexts.class,
                SaeModel.class,
                SaeModelChunk.class,
                SaeState.class,
                TrainerMetrics.class,
                Alert.class,
                DeadLetter.class
            })
    void decodesOrRefusesEveryRecordType(Class<? extends SpecificRecord> type) throws Exception {
        AvroSerde<? extends SpecificRecord> serde = serde(type);
        Schema schema = (Schema) type.getMethod("getClassSchema").invoke(null);
        BinaryMessageEncoder<GenericRecord> encoder =
                new BinaryMessageEncoder<>(GenericData.get(), schema);
        List<byte[]> seeds = new ArrayList<>();
        for (Object r : new RandomData(schema, SEEDS, 7L))
            seeds.add(encoder.encode((GenericRecord) r).array());
        // The seeds are what a writer of this schema sends: each decodes.
        for (byte[] s : seeds) serde.fromBytes(s);
        Fuzzer.Report report =
                Fuzzer.run(
                        "avro-" + type.getSimpleName(),
                        seeds,
                        serde::fromBytes,
                        t -> t instanceof RecordDecodingException);
        System.out.printf(
                "fuzz %s: %,d inputs, %,d accepted, %,d refused%n",
                report.name(), report.inputs(), report.accepted(), report.refused());
        assertThat(report.refused()).isPositive();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static AvroSerde<? extends SpecificRecord> serde(Class<? extends SpecificRecord> type) {
        return new AvroSerde(type);
    }
}
