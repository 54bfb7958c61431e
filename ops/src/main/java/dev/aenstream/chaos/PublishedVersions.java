package dev.aenstream.chaos;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import dev.aenstream.models.ModelAssembler;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.models.ModelTrust;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.EncoderTensors;
import dev.aenstream.topics.TopicSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every version on the models topic, read back into the parameters its encoder graph carries: the
 * trusted ones (what codes may come from) apart from those a reader must refuse.
 */
final class PublishedVersions {
    /** A version the encoders may serve: its metadata, parameters and encoder. */
    record Trusted(SaeModel model, SaeParameters params, EncoderSpec spec) {}

    private final Map<String, Trusted> trusted = new HashMap<>();
    private final Map<String, List<Long>> trustedInOrder = new TreeMap<>();
    private final List<SaeModel> refused = new ArrayList<>();

    private PublishedVersions() {}

    /** Reads the whole topic once, assembling every version whose chunks it holds. */
    static PublishedVersions read(KafkaConnection kafka, String topic, ModelTrust trust) {
        PublishedVersions out = new PublishedVersions();
        AvroSerde<SaeModel> models = new AvroSerde<>(SaeModel.class);
        AvroSerde<SaeModelChunk> chunks = new AvroSerde<>(SaeModelChunk.class);
        try (ModelAssembler assembler = new ModelAssembler()) {
            TopicSnapshot.forEach(
                    kafka,
                    topic,
                    r -> {
                        if (r.value() == null) return;
                        String type = ModelRecords.type(r.headers());
                        if (ModelRecords.CHUNK.equals(type))
                            assembler.add(chunks.fromBytes(r.value()));
                        else if (ModelRecords.MODEL.equals(type))
                            out.add(models.fromBytes(r.value()), assembler, trust);
                    });
        }
        return out;
    }

    private void add(SaeModel model, ModelAssembler assembler, ModelTrust trust) {
        if (trust.signatureRefusal(model) != null) {
            assembler.discard(model);
            refused.add(model);
            return;
        }
        ModelAssembler.Assembled a;
        try {
            a = assembler.complete(model);
        } catch (ModelAssembler.RefusedModel e) {
            refused.add(model);
            return;
        }
        try {
            EncoderTensors.Read read =
                    EncoderTensors.read(
                            OnnxMl.ModelProto.parseFrom(a.graph()), a.file(), a.weightsStart());
            trusted.put(
                    key(model.getSaeId(), model.getVersion()),
                    new Trusted(model, EncoderTensors.parameters(read), read.spec()));
            trustedInOrder
                    .computeIfAbsent(model.getSaeId(), k -> new ArrayList<>())
                    .add(model.getVersion());
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "version " + model.getVersion() + " of SAE " + model.getSaeId(), e);
        } finally {
            a.delete();
        }
    }

    /** The trusted version {@code version} of {@code saeId}, or null. */
    Trusted trusted(String saeId, long version) {
        return trusted.get(key(saeId, version));
    }

    /** Trusted versions' numbers, by SAE id, in the order the topic holds them. */
    Map<String, List<Long>> trustedVersions() {
        return trustedInOrder;
    }

    /** Versions whose signature a reader must not accept, or whose chunks do not make them. */
    List<SaeModel> refused() {
        return refused;
    }

    private static String key(String saeId, long version) {
        return saeId + "/v" + version;
    }
}
