package dev.aenstream.models;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import dev.aenstream.topics.SkippedRecords;
import dev.aenstream.topics.TopicSnapshot;
import java.nio.charset.StandardCharsets;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one version of an SAE off the models topic, as an encoder would receive it: its signature
 * checked as the encoders' trust says, its chunks assembled into a file and its checksum checked.
 * Only that SAE's chunks are spooled.
 */
public final class ModelPull {
    private static final Logger LOG = LoggerFactory.getLogger(ModelPull.class);

    private ModelPull() {}

    /** Every version of every SAE, newest last: pass -1 as the version to take the newest. */
    public static final long NEWEST = -1;

    /**
     * Version {@code version} of {@code saeId} ({@link #NEWEST}: its newest), assembled by {@code
     * assembler}; the file is the caller's to delete.
     *
     * @throws ModelAssembler.RefusedModel when the version's signature is not trusted, or its
     *     chunks are missing or do not match its checksum
     * @throws IllegalArgumentException when the topic holds no such version, naming those it holds
     */
    public static ModelAssembler.Assembled pull(
            KafkaConnection connection,
            String topic,
            String saeId,
            long version,
            ModelAssembler assembler,
            ModelTrust trust)
            throws ModelAssembler.RefusedModel {
        AvroSerde<SaeModel> models = new AvroSerde<>(SaeModel.class);
        AvroSerde<SaeModelChunk> chunks = new AvroSerde<>(SaeModelChunk.class);
        String chunkPrefix = saeId + "/v";
        TreeSet<Long> seen = new TreeSet<>();
        SkippedRecords skippedChunks = new SkippedRecords(topic, SaeModelChunk.class);
        SkippedRecords skippedModels = new SkippedRecords(topic, SaeModel.class);
        ModelAssembler.Assembled[] found = {null};
        ModelAssembler.RefusedModel[] refused = {null};
        TopicSnapshot.forEach(
                connection,
                topic,
                r -> {
                    if (r.value() == null) return;
                    String type = ModelRecords.type(r.headers());
                    if (ModelRecords.CHUNK.equals(type)) {
                        String key =
                                r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
                        if (!key.startsWith(chunkPrefix)) return;
                        SaeModelChunk c = skippedChunks.decode(chunks, r);
                        if (c != null
                                && c.getSaeId().equals(saeId)
                                && (version == NEWEST || c.getVersion() == version))
                            assembler.add(c);
                    } else if (ModelRecords.MODEL.equals(type)) {
                        SaeModel m = skippedModels.decode(models, r);
                        if (m == null || !m.getSaeId().equals(saeId)) return;
                        seen.add(m.getVersion());
                        if (version != NEWEST && m.getVersion() != version) return;
                        // A newer version replaces what was found: the newest wins.
                        if (found[0] != null) found[0].delete();
                        found[0] = null;
                        refused[0] = null;
                        try {
                            found[0] = assembler.complete(m);
                            String distrusted = trust.signatureRefusal(m);
                            if (distrusted != null) {
                                found[0].delete();
                                found[0] = null;
                                throw new ModelAssembler.RefusedModel(m, distrusted);
                            }
                        } catch (ModelAssembler.RefusedModel e) {
                            refused[0] = e;
                        }
                    }
                });
        skippedChunks.report(LOG::warn);
        skippedModels.report(LOG::warn);
        if (refused[0] != null) throw refused[0];
        if (found[0] == null)
            throw new IllegalArgumentException(
                    seen.isEmpty()
                            ? "no version of SAE " + saeId + " on " + topic
                            : "no version "
                                    + version
                                    + " of SAE "
                                    + saeId
                                    + " on "
                                    + topic
                                    + "; it holds versions "
                                    + seen);
        return found[0];
    }
}
