package dev.aenstream.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import dev.aenstream.sae.onnx.OnnxPackage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The models topic after log compaction (the newest record per key survives, tombstones and what
 * they cover go): an encoder that reads it from the start rebuilds the newest committed version,
 * even while a newer one is half published.
 */
class ModelCompactionTest {
    private final VersionRecords records = new VersionRecords("aen.models", null);

    @Test
    void aRestartingEncoderRebuildsTheNewestCommittedVersionAfterCompaction() throws Exception {
        byte[] v1 = graph(1), v2 = graph(2), v3 = graph(3);
        List<ProducerRecord<byte[], byte[]>> log = new ArrayList<>();
        var first = publish(version(1), v1, log);
        var second = publish(version(2), v2, log);
        log.addAll(records.tombstones(first.model()));
        List<ProducerRecord<byte[], byte[]>> third = new ArrayList<>();
        publish(version(3), v3, third);
        // The trainer dies after two of v3's three chunks: no metadata commits it.
        log.addAll(third.subList(0, 2));
        assertThat(second.model().getChunkCount()).as("chunks per version").isEqualTo(3);

        List<ProducerRecord<byte[], byte[]>> compacted = compact(log);
        assertThat(compacted)
                .as("no chunk of the retired v1 survives")
                .noneMatch(r -> key(r).contains("/v1/"));

        ModelAssembler assembler = new ModelAssembler();
        ModelAssembler.Assembled newest = null;
        AvroSerde<SaeModelChunk> chunks = new AvroSerde<>(SaeModelChunk.class);
        AvroSerde<SaeModel> models = new AvroSerde<>(SaeModel.class);
        for (var r : compacted) {
            String type = ModelRecords.type(r.headers());
            if (ModelRecords.CHUNK.equals(type)) assembler.add(chunks.fromBytes(r.value()));
            else newest = assembler.complete(models.fromBytes(r.value()));
        }
        assertThat(newest).isNotNull();
        assertThat(newest.model().getVersion()).isEqualTo(2);
        assertThat(Files.readAllBytes(newest.file())).isEqualTo(v2);
        assertThat(newest.graph()).isEqualTo(v2);
        newest.delete();
        assembler.close();
    }

    /** Version {@code v}'s records, chunks then metadata, appended to {@code log}. */
    private VersionRecords.Publication publish(
            ModelPublisher.Version v, byte[] onnx, List<ProducerRecord<byte[], byte[]>> log) {
        VersionRecords.Publication p = records.chunks(v, OnnxPackage.of(onnx), log::add);
        log.add(p.record());
        return p;
    }

    /** Kafka's compaction: per key the newest record, in log order; tombstones removed. */
    private static List<ProducerRecord<byte[], byte[]>> compact(
            List<ProducerRecord<byte[], byte[]>> log) {
        Map<String, Integer> last = new HashMap<>();
        for (int i = 0; i < log.size(); i++) last.put(key(log.get(i)), i);
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (int i = 0; i < log.size(); i++)
            if (last.get(key(log.get(i))) == i && log.get(i).value() != null) out.add(log.get(i));
        return out;
    }

    private static String key(ProducerRecord<byte[], byte[]> r) {
        return new String(r.key(), StandardCharsets.UTF_8);
    }

    private static ModelPublisher.Version version(long v) {
        return new ModelPublisher.Version(
                "sae", v, "aen", 16, 32, 32, Normalisation.NONE, Map.of());
    }

    /** Bytes standing in for a graph, long enough for three chunks. */
    private static byte[] graph(long seed) {
        byte[] b = new byte[2 * ModelRecords.CHUNK_BYTES + 1000];
        new Random(seed).nextBytes(b);
        return b;
    }
}
