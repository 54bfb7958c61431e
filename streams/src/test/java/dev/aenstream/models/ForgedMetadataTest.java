package dev.aenstream.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import dev.aenstream.sae.onnx.OnnxPackage;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Metadata and chunks written to the models topic by one who cannot sign: the signature now covers
 * every field that changes what a version computes or how its features are read (on main a signed
 * version's normalisation, lineage and hyperparameters could be rewritten and still verify); a
 * trainer believes only metadata that holds together and is its own (on main one unsigned record of
 * version Long.MAX_VALUE and 2^31 chunks made it number past it and build 2^31 tombstones); a
 * follower that checks signatures spools only chunks signed by a trusted key.
 */
class ForgedMetadataTest {
    private final KeyPair keys = ModelSigning.generate();
    private final VersionRecords signed = new VersionRecords("aen.models", keys);
    private final AvroSerde<SaeModel> models = new AvroSerde<>(SaeModel.class);
    private final AvroSerde<SaeModelChunk> chunks = new AvroSerde<>(SaeModelChunk.class);

    @Test
    void theSignatureCoversWhatChangesAVersion() {
        SaeModel m = publish(signed, 3, new ArrayList<>());
        assertThat(ModelSigning.verify(m, keys.getPublic())).isTrue();
        SaeModel renormalised =
                SaeModel.newBuilder(m).setNormalisation(Normalisation.UNIT_SQRT_N).build();
        SaeModel rehyped =
                SaeModel.newBuilder(m).setHyperparameters(Map.of("lambda1", "9")).build();
        SaeModel relined =
                SaeModel.newBuilder(m)
                        .setLineageFrom(2L)
                        .setLineage(ByteBuffer.wrap(new byte[] {0, 0, 0, 0}))
                        .build();
        SaeModel resized = SaeModel.newBuilder(m).setChunkCount(m.getChunkCount() + 1).build();
        for (SaeModel forged : List.of(renormalised, rehyped, relined, resized))
            assertThat(ModelSigning.verify(forged, keys.getPublic())).isFalse();
    }

    @Test
    void aTrainerBelievesOnlyItsOwnMetadataThatHoldsTogether() {
        SaeModel own = publish(signed, 3, new ArrayList<>());
        SaeModel forged =
                SaeModel.newBuilder(own)
                        .setVersion(Long.MAX_VALUE)
                        .setChunkCount(Integer.MAX_VALUE)
                        .setSignature(null)
                        .build();
        SaeModel unsigned = publish(new VersionRecords("aen.models", null), 5, new ArrayList<>());
        assertThat(ModelRecords.newest(List.of(own, forged, unsigned), keys.getPublic()))
                .extractingByKey("sae")
                .satisfies(m -> assertThat(m.getVersion()).isEqualTo(3));
        // A trainer that does not sign takes unsigned numbers, but not sizes that cannot be.
        assertThat(ModelRecords.newest(List.of(own, forged, unsigned), null))
                .extractingByKey("sae")
                .satisfies(m -> assertThat(m.getVersion()).isEqualTo(5));
    }

    @Test
    void aFollowerThatChecksSignaturesSpoolsOnlySignedChunks() {
        List<ProducerRecord<byte[], byte[]>> log = new ArrayList<>();
        publish(signed, 3, log);
        SaeModelChunk good = chunks.fromBytes(log.get(0).value());
        ModelTrust trust = ModelTrust.signedBy(List.of(keys.getPublic()));
        assertThat(trust.chunkRefusal(good, 2)).isNull();
        SaeModelChunk unsigned = SaeModelChunk.newBuilder(good).setSignature(null).build();
        assertThat(trust.chunkRefusal(unsigned, 2)).contains("unsigned");
        SaeModelChunk moved = SaeModelChunk.newBuilder(good).setVersion(4).build();
        assertThat(trust.chunkRefusal(moved, 2)).contains("do not verify");
        SaeModelChunk altered =
                SaeModelChunk.newBuilder(good).setData(ByteBuffer.wrap(new byte[10])).build();
        assertThat(trust.chunkRefusal(altered, 2)).contains("do not verify");
        SaeModelChunk far = SaeModelChunk.newBuilder(good).setVersion(Long.MAX_VALUE).build();
        assertThat(trust.chunkRefusal(far, 2)).contains("implausible");
        assertThat(ModelTrust.anyVersion().chunkRefusal(unsigned, 2)).isNull();
    }

    private SaeModel publish(
            VersionRecords records, long version, List<ProducerRecord<byte[], byte[]>> log) {
        var p =
                records.chunks(
                        new ModelPublisher.Version(
                                "sae", version, "aen", 8, 16, 4, Normalisation.NONE, Map.of()),
                        OnnxPackage.of(new byte[1000]),
                        log::add);
        return models.fromBytes(p.record().value());
    }
}
