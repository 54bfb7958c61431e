package dev.aenstream.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static AvroSerde<SpecificRecord> serdeFor(Object record) {
        return new AvroSerde(record.getClass());
    }

    @Test
    void everyRecordTypeRoundTrips() {
        for (Object record : SampleRecords.all()) {
            AvroSerde<SpecificRecord> serde = serdeFor(record);
            byte[] bytes = serde.serialize("t", (SpecificRecord) record);
            assertThat(serde.deserialize("t", bytes))
                    .as(record.getClass().getSimpleName())
                    .isEqualTo(record);
        }
    }

    @Test
    void everyCurrentSchemaIsArchivedInTheHistory() {
        var archived =
                SchemaHistory.archived().stream()
                        .map(SchemaNormalization::parsingFingerprint64)
                        .toList();
        for (Object record : SampleRecords.all()) {
            Schema schema = ((SpecificRecord) record).getSchema();
            assertThat(archived)
                    .as(
                            "schema %s changed: archive its new version under"
                                    + " avro/src/main/resources/dev/aenstream/avro/history:%n%s",
                            schema.getName(), schema.toString(true))
                    .contains(SchemaNormalization.parsingFingerprint64(schema));
        }
    }

    /**
     * Old readers read new records: every archived version of a record type reads bytes written
     * with the newest schema (new fields are skipped, new enum symbols read as the default).
     */
    @Test
    void everyArchivedVersionReadsRecordsOfTheNewestSchema() throws Exception {
        int pairs = 0;
        for (Object record : SampleRecords.all()) {
            Schema newest = ((SpecificRecord) record).getSchema();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            var encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
            new org.apache.avro.specific.SpecificDatumWriter<Object>(newest).write(record, encoder);
            encoder.flush();
            for (Schema old : SchemaHistory.archived()) {
                if (!old.getFullName().equals(newest.getFullName())) continue;
                var reader = new org.apache.avro.generic.GenericDatumReader<Object>(newest, old);
                Object read =
                        reader.read(
                                null,
                                org.apache.avro.io.DecoderFactory.get()
                                        .binaryDecoder(out.toByteArray(), null));
                assertThat(read).as("%s read by an archived version", newest.getName()).isNotNull();
                pairs++;
            }
        }
        assertThat(pairs).isGreaterThan(SampleRecords.all().size());
    }

    /**
     * The history's FINGERPRINTS file, which the Python package reads instead of computing
     * fingerprints itself, holds the Avro library's fingerprint of every archived schema.
     */
    @Test
    void theFingerprintsFileHoldsTheAvroLibrarysFingerprints() throws Exception {
        StringBuilder expected = new StringBuilder();
        List<String> files = SchemaHistory.archivedFiles();
        List<Schema> schemas = SchemaHistory.archived();
        for (int i = 0; i < files.size(); i++)
            expected.append(
                    String.format(
                            "%s %016x%n",
                            files.get(i),
                            SchemaNormalization.parsingFingerprint64(schemas.get(i))));
        assertThat(SchemaHistory.fingerprintsFile())
                .as(
                        "avro/src/main/resources/dev/aenstream/avro/history/FINGERPRINTS must"
                                + " read:%n%s",
                        expected)
                .isEqualTo(expected.toString());
    }

    @Test
    void aReaderWithAnAddedOptionalFieldReadsOldBytes() throws Exception {
        Schema old = Alert.getClassSchema();
        Schema newer =
                new Schema.Parser()
                        .parse(
                                old.toString()
                                        .replace(
                                                "{\"name\":\"message\"",
                                                "{\"name\":\"runbook\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"message\""));
        assertThat(newer.getField("runbook")).isNotNull();

        byte[] oldBytes = new AvroSerde<>(Alert.class).toBytes((Alert) SampleRecords.all().get(3));
        SchemaStore.Cache store = new SchemaStore.Cache();
        SchemaHistory.archived().forEach(store::addSchema);
        BinaryMessageDecoder<GenericRecord> reader =
                new BinaryMessageDecoder<>(GenericData.get(), newer, store);
        GenericRecord read = reader.decode(oldBytes, null);
        assertThat(read.get("runbook")).isNull();
        assertThat(read.get("message").toString()).isEqualTo("3 features dead");
        assertThat(read.get("featureIds")).asList().containsExactly(1, 5, 9);
    }

    @Test
    void anOldReaderReadsBytesWrittenWithAnUnknownNewerSchemaOnlyWhenTheStoreKnowsIt()
            throws Exception {
        Schema newer =
                new Schema.Parser()
                        .parse(
                                Alert.getClassSchema()
                                        .toString()
                                        .replace(
                                                "{\"name\":\"message\"",
                                                "{\"name\":\"runbook\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"message\""));
        GenericRecord record = new GenericData.Record(newer);
        Alert sample = (Alert) SampleRecords.all().get(3);
        for (Schema.Field f : Alert.getClassSchema().getFields()) {
            record.put(f.name(), sample.get(f.name()));
        }
        record.put("runbook", "http://runbook");
        byte[] bytes =
                new BinaryMessageEncoder<GenericRecord>(GenericData.get(), newer)
                        .encode(record)
                        .array();

        assertThatThrownBy(() -> new AvroSerde<>(Alert.class).fromBytes(bytes))
                .isInstanceOfSatisfying(
                        RecordDecodingException.class,
                        e ->
                                assertThat(e.problem())
                                        .isEqualTo(RecordDecodingException.Problem.UNKNOWN_SCHEMA))
                .hasMessageContaining("Alert");

        SchemaStore.Cache store = new SchemaStore.Cache();
        store.addSchema(newer);
        Alert read = new AvroSerde<>(Alert.class, store).fromBytes(bytes);
        assertThat(read.getMessage()).isEqualTo(sample.getMessage());
    }

    @Test
    void randomBytesRaiseATypedExceptionNamingTheProblem() {
        AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
        Random random = new Random(42);
        for (int i = 0; i < 500; i++) {
            byte[] junk = new byte[random.nextInt(64)];
            random.nextBytes(junk);
            assertThatThrownBy(() -> serde.fromBytes(junk))
                    .isInstanceOf(RecordDecodingException.class)
                    .hasMessageContaining("ActivationBatch");
        }
        assertThatThrownBy(() -> serde.fromBytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
                .isInstanceOfSatisfying(
                        RecordDecodingException.class,
                        e ->
                                assertThat(e.problem())
                                        .isEqualTo(RecordDecodingException.Problem.BAD_HEADER));
    }

    @Test
    void truncatedBytesRaiseTruncated() {
        AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
        byte[] whole = serde.toBytes((ActivationBatch) SampleRecords.all().get(0));
        for (int len = 10; len < whole.length; len++) {
            byte[] cut = Arrays.copyOf(whole, len);
            assertThatThrownBy(() -> serde.fromBytes(cut))
                    .as("cut at %d of %d", len, whole.length)
                    .isInstanceOfSatisfying(
                            RecordDecodingException.class,
                            e ->
                                    assertThat(e.problem())
                                            .isIn(
                                                    RecordDecodingException.Problem.TRUNCATED,
                                                    RecordDecodingException.Problem.CORRUPT));
        }
        byte[] cutInPayload = Arrays.copyOf(whole, whole.length - 12);
        assertThatThrownBy(() -> serde.fromBytes(cutInPayload))
                .isInstanceOfSatisfying(
                        RecordDecodingException.class,
                        e ->
                                assertThat(e.problem())
                                        .as(e.toString() + " / " + e.getCause())
                                        .isEqualTo(RecordDecodingException.Problem.TRUNCATED))
                .hasMessageContaining("end early");
    }
}
