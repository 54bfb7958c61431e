package dev.aenstream.models;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.onnx.DecoderTensors;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.EncoderTensors;
import dev.aenstream.sae.onnx.OnnxPackage;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens an admitted version in ONNX Runtime from its spool: whole (its graph, written beside the
 * spool, reads its weights there, and the decoder is read for the fve) or as this follower's shard
 * (the graph rebuilt for its slice of the features). A version that will not load, or whose graph
 * does not fit its metadata, is refused and nothing of it stays open.
 */
final class VersionLoader {
    private static final Logger LOG = LoggerFactory.getLogger(VersionLoader.class);

    private final Device device;
    private final int ortThreads;
    private final DictionaryShard shard;

    /** An encoder ready to serve, and the decoder when the whole dictionary is served. */
    record Loaded(SaeEncoder encoder, SaeDecoder decoder) {}

    VersionLoader(Device device, int ortThreads, DictionaryShard shard) {
        this.device = device;
        this.ortThreads = ortThreads;
        this.shard = shard;
    }

    Loaded load(ModelAssembler.Assembled a, VersionAdmission.Admitted admitted)
            throws VersionRefused {
        SaeModel m = a.model();
        SaeEncoder encoder = null;
        SaeDecoder decoder = null;
        Path graphFile = a.file().resolveSibling(a.file().getFileName() + ".onnx");
        try {
            if (shard.count() > 1) {
                encoder = openShard(m, admitted.graph(), a);
            } else {
                encoder = openWhole(m, admitted.graphBytes(), graphFile, a);
                decoder = DecoderTensors.read(admitted.graph(), a.file(), a.weightsStart());
            }
        } catch (Exception | OutOfMemoryError e) {
            if (encoder != null) closeQuietly(encoder);
            throw VersionAdmission.refused(m, "ONNX Runtime cannot load it: " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(graphFile);
            } catch (IOException e) {
                LOG.debug("cannot remove {}: {}", graphFile, e.toString());
            }
        }
        try {
            encoder.check();
        } catch (Exception e) {
            closeQuietly(encoder);
            throw VersionAdmission.refused(
                    m, "its graph does not fit its metadata: " + e.getMessage());
        }
        return new Loaded(encoder, decoder);
    }

    /** The version as it arrived: its graph, written beside the spool, reads its weights there. */
    private SaeEncoder openWhole(
            SaeModel m, byte[] graphBytes, Path graphFile, ModelAssembler.Assembled a)
            throws Exception {
        Files.write(
                graphFile,
                a.packaged()
                        ? OnnxPackage.relocate(
                                graphBytes, a.file().getFileName().toString(), a.weightsStart())
                        : graphBytes);
        return SaeEncoder.open(graphFile, m.getN(), m.getD(), m.getKMax(), device, ortThreads);
    }

    /**
     * This follower's shard of a version: the graph rebuilt from the spooled weights for its slice
     * of the features, with the version's own settings; the fve needs the whole dictionary, so the
     * decoder is not read.
     */
    private SaeEncoder openShard(SaeModel m, OnnxMl.ModelProto graph, ModelAssembler.Assembled a)
            throws Exception {
        EncoderTensors.Read read = EncoderTensors.read(graph, a.file(), a.weightsStart());
        if (read.weights().d() != m.getD() || read.weights().n() != m.getN())
            throw new IllegalArgumentException(
                    "its graph holds n="
                            + read.weights().n()
                            + ", D="
                            + read.weights().d()
                            + " but its metadata says n="
                            + m.getN()
                            + ", D="
                            + m.getD());
        EncoderSpec spec = ModelRecords.encoderSpec(m, read);
        return SaeEncoder.openShard(read, spec, shard, device, ortThreads);
    }

    static void closeQuietly(SaeEncoder encoder) {
        try {
            encoder.close();
        } catch (Exception e) {
            LOG.debug("closing an encoder: {}", e.toString());
        }
    }
}
