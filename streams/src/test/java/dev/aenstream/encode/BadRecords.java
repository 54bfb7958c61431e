package dev.aenstream.encode;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;

/** One record of every kind the encoder must refuse, each with the reason it must give. */
final class BadRecords {
    private BadRecords() {}

    static ActivationBatch batch(float[] x, int rows, int n, String producerId, long sequence) {
        return ActivationBatch.newBuilder()
                .setSourceModel("test")
                .setHookPoint("h")
                .setRows(rows)
                .setN(n)
                .setDtype(Dtype.FLOAT32)
                .setNormalisation(Normalisation.NONE)
                .setProducerId(producerId)
                .setSequence(sequence)
                .setPayload(Matrices.encode(x, 0, rows, n, Dtype.FLOAT32))
                .setTimestampMs(0)
                .build();
    }

    /** Key (as text) to bytes, and the reason each must be refused with. */
    static Map<String, Map.Entry<byte[], DeadLetterReason>> of(int n) throws Exception {
        AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
        Map<String, Map.Entry<byte[], DeadLetterReason>> bad = new LinkedHashMap<>();

        byte[] junk = new byte[200];
        new Random(1).nextBytes(junk);
        bad.put("bad/random-bytes", Map.entry(junk, DeadLetterReason.MALFORMED_BYTES));

        byte[] good = serde.toBytes(batch(new float[2 * n], 2, n, "bad", 0));
        bad.put(
                "bad/truncated",
                Map.entry(Arrays.copyOf(good, good.length - 9), DeadLetterReason.MALFORMED_BYTES));

        bad.put(
                "bad/wrong-width",
                Map.entry(
                        serde.toBytes(batch(new float[3 * (n + 1)], 3, n + 1, "bad", 1)),
                        DeadLetterReason.WRONG_WIDTH));

        float[] withNan = new float[2 * n];
        withNan[n + 3] = Float.NaN;
        bad.put(
                "bad/nan",
                Map.entry(
                        serde.toBytes(batch(withNan, 2, n, "bad", 2)),
                        DeadLetterReason.NON_FINITE));

        float[] withInf = new float[2 * n];
        withInf[5] = Float.POSITIVE_INFINITY;
        bad.put(
                "bad/inf",
                Map.entry(
                        serde.toBytes(batch(withInf, 2, n, "bad", 3)),
                        DeadLetterReason.NON_FINITE));

        ActivationBatch shortPayload = batch(new float[2 * n], 2, n, "bad", 4);
        shortPayload.setRows(3);
        bad.put(
                "bad/payload-shape",
                Map.entry(serde.toBytes(shortPayload), DeadLetterReason.MALFORMED_BYTES));

        // A well-formed single-object record written with a schema no reader knows.
        Schema unknown =
                new Schema.Parser()
                        .parse(
                                ActivationBatch.getClassSchema()
                                        .toString()
                                        .replace(
                                                "{\"name\":\"timestampMs\"",
                                                "{\"name\":\"extra\",\"type\":\"int\"},{\"name\":\"timestampMs\""));
        GenericRecord record = new GenericData.Record(unknown);
        ActivationBatch template = batch(new float[n], 1, n, "bad", 5);
        for (Schema.Field f : ActivationBatch.getClassSchema().getFields()) {
            Object value = template.get(f.name());
            if (value instanceof Enum<?> e)
                value = new GenericData.EnumSymbol(unknown.getField(f.name()).schema(), e.name());
            record.put(f.name(), value);
        }
        record.put("extra", 1);
        byte[] unknownBytes =
                new BinaryMessageEncoder<GenericRecord>(GenericData.get(), unknown)
                        .encode(record)
                        .array();
        bad.put("bad/unknown-schema", Map.entry(unknownBytes, DeadLetterReason.UNKNOWN_SCHEMA));
        return bad;
    }
}
