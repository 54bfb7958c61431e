package dev.aenstream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The follower's decision and loading, without a broker: a version spooled to a file is admitted
 * and served, or refused with the reason its MODEL_REFUSED alert carries, and nothing of a refused
 * version stays open.
 */
class VersionAdmissionTest {
    private static final int N = 8;
    private static final int D = 12;
    private static final int K_MAX = 4;

    @TempDir Path dir;

    private final SaeParameters params = SaeParameters.initialise(N, D, 5);
    private final byte[] graph =
            EncoderGraph.build(params, new EncoderSpec(K_MAX, false), "admission").toByteArray();

    @Test
    void aFittingVersionIsAdmittedAndLoaded() throws Exception {
        ModelAssembler.Assembled a = spooled(3, N, D, graph);
        VersionAdmission.Admitted admitted = admission(N, DictionaryShard.WHOLE).admit(a, 2);
        VersionLoader.Loaded loaded =
                new VersionLoader(Device.CPU, 1, DictionaryShard.WHOLE).load(a, admitted);
        try {
            assertThat(loaded.encoder().n()).isEqualTo(N);
            assertThat(loaded.encoder().d()).isEqualTo(D);
            assertThat(loaded.decoder()).as("this graph carries no decoder atoms").isNull();
        } finally {
            loaded.encoder().close();
        }
        assertThat(Files.exists(a.file().resolveSibling(a.file().getFileName() + ".onnx")))
                .as("the graph written beside the spool for loading is removed")
                .isFalse();
    }

    @Test
    void eachUnfitVersionIsRefusedWithItsReason() throws Exception {
        VersionAdmission whole = admission(N, DictionaryShard.WHOLE);
        assertThat(refusal(whole, spooled(0, N, D, graph), 0)).contains("start at 1");
        assertThat(refusal(whole, spooled(1_000_000, N, D, graph), 1))
                .contains("versions ahead of the newest known one (v1)");
        assertThat(refusal(whole, spooled(2, N, D, "no graph".getBytes(StandardCharsets.UTF_8)), 1))
                .contains("SAE s v2 refused: its bytes are not an ONNX model");
        assertThat(refusal(admission(N + 1, DictionaryShard.WHOLE), spooled(2, N, D, graph), 1))
                .contains("it takes rows of n=" + N + " but the stream's rows have n=" + (N + 1));
        assertThat(refusal(admission(N, DictionaryShard.parse("0/16")), spooled(2, N, D, graph), 1))
                .contains("its D=" + D + " cannot be split into 16 shards");
    }

    @Test
    void aGraphThatDoesNotFitItsMetadataIsRefusedAndClosed() throws Exception {
        ModelAssembler.Assembled a = spooled(2, N, D + 1, graph);
        VersionAdmission.Admitted admitted = admission(N, DictionaryShard.WHOLE).admit(a, 1);
        assertThatThrownBy(
                        () ->
                                new VersionLoader(Device.CPU, 1, DictionaryShard.WHOLE)
                                        .load(a, admitted))
                .isInstanceOf(VersionRefused.class)
                .hasMessageStartingWith("SAE s v2 refused: ");
    }

    private static VersionAdmission admission(int expectedN, DictionaryShard shard) {
        return new VersionAdmission(ModelTrust.anyVersion(), expectedN, shard);
    }

    private static String refusal(
            VersionAdmission admission, ModelAssembler.Assembled a, long serving) {
        try {
            admission.admit(a, serving);
            return null;
        } catch (VersionRefused e) {
            return e.getMessage();
        }
    }

    /** A version as the assembler leaves it: its metadata and its bytes in a spool file. */
    private ModelAssembler.Assembled spooled(long version, int n, int d, byte[] onnx)
            throws Exception {
        Path file = dir.resolve("v" + version + "-" + n + "-" + d + ".spool");
        Files.write(file, onnx);
        SaeModel m =
                SaeModel.newBuilder()
                        .setSaeId("s")
                        .setVersion(version)
                        .setArch("aen")
                        .setN(n)
                        .setD(d)
                        .setKMax(K_MAX)
                        .setNormalisation(Normalisation.NONE)
                        .setChecksum(ModelRecords.sha256(onnx))
                        .setSizeBytes(onnx.length)
                        .setChunkCount(1)
                        .setCreatedAtMs(0)
                        .build();
        return new ModelAssembler.Assembled(m, file);
    }
}
