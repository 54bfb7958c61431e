package dev.aenstream.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import dev.aenstream.sae.onnx.OnnxPackage;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * What one who can write the models topic, but cannot sign, can do to a follower's assembly: a
 * chunk of a huge version number no longer pins the SAE (on main every later, real version was
 * refused as "its chunks were not found", because only the newest number was spooled), and chunks
 * of ever new versions cannot open files or fill the disk without bound.
 */
class ForgedChunksTest {
    private final VersionRecords records = new VersionRecords("aen.models", null);
    private final AvroSerde<SaeModelChunk> chunks = new AvroSerde<>(SaeModelChunk.class);
    private final AvroSerde<SaeModel> models = new AvroSerde<>(SaeModel.class);

    @Test
    void aForgedHugeVersionPinsNothing() throws Exception {
        try (ModelAssembler assembler = new ModelAssembler()) {
            assembler.add(chunk("sae", Long.MAX_VALUE / 2, 0, new byte[100]));
            byte[] graph = bytes(1);
            ModelAssembler.Assembled v1 = publish(assembler, 1, graph);
            assertThat(Files.readAllBytes(v1.file())).isEqualTo(graph);
            v1.delete();
            // And again after more forged versions, interleaved with the real one's chunks.
            List<ProducerRecord<byte[], byte[]>> log = new ArrayList<>();
            var p = records.chunks(version(2), OnnxPackage.of(bytes(2)), log::add);
            for (ProducerRecord<byte[], byte[]> r : log) {
                assembler.add(chunks.fromBytes(r.value()));
                assembler.add(chunk("sae", 1_000_000 + log.indexOf(r), 0, new byte[10]));
            }
            ModelAssembler.Assembled v2 = assembler.complete(models.fromBytes(p.record().value()));
            assertThat(v2.model().getVersion()).isEqualTo(2);
            v2.delete();
        }
    }

    @Test
    void forgedVersionsOpenBoundedFilesAndBytes() throws Exception {
        try (ModelAssembler assembler = new ModelAssembler()) {
            for (int sae = 0; sae < 3 * ModelAssembler.MAX_SPOOLS; sae++)
                for (long v = 1; v <= 5; v++)
                    assembler.add(chunk("forged-" + sae, v, 0, new byte[1000]));
            assertThat(assembler.spools()).isLessThanOrEqualTo(ModelAssembler.MAX_SPOOLS);
            assertThat(assembler.spooledBytes())
                    .isLessThanOrEqualTo(ModelAssembler.MAX_SPOOLS * 1000L);
            // A version larger than any a follower takes stops spooling at the bound.
            ModelAssembler small = new ModelAssembler(2_500);
            try (small) {
                for (int i = 0; i < 5; i++) small.add(chunk("big", 1, i, new byte[1000]));
                assertThat(small.spooledBytes()).isLessThanOrEqualTo(2_500);
            }
        }
    }

    private ModelAssembler.Assembled publish(ModelAssembler assembler, long v, byte[] graph)
            throws Exception {
        List<ProducerRecord<byte[], byte[]>> log = new ArrayList<>();
        var p = records.chunks(version(v), OnnxPackage.of(graph), log::add);
        for (ProducerRecord<byte[], byte[]> r : log) assembler.add(chunks.fromBytes(r.value()));
        return assembler.complete(models.fromBytes(p.record().value()));
    }

    private static SaeModelChunk chunk(String saeId, long version, int index, byte[] data) {
        return SaeModelChunk.newBuilder()
                .setSaeId(saeId)
                .setVersion(version)
                .setIndex(index)
                .setCount(index + 1)
                .setData(ByteBuffer.wrap(data))
                .build();
    }

    private static ModelPublisher.Version version(long v) {
        return new ModelPublisher.Version(
                "sae", v, "aen", 16, 32, 32, Normalisation.NONE, Map.of());
    }

    private static byte[] bytes(long seed) {
        byte[] b = new byte[ModelRecords.CHUNK_BYTES + 1000];
        new Random(seed).nextBytes(b);
        return b;
    }
}
