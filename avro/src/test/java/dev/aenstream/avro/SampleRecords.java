package dev.aenstream.avro;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/** One filled-in instance of every record type, for round-trip tests. */
final class SampleRecords {
    private SampleRecords() {}

    static ByteBuffer bytes(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length);
        for (int v : values) b.put((byte) v);
        return b.flip();
    }

    static List<Object> all() {
        return List.of(
                ActivationBatch.newBuilder()
                        .setSourceModel("m")
                        .setHookPoint("blocks.3.hook_resid_post")
                        .setRows(1)
                        .setN(2)
                        .setDtype(Dtype.FLOAT16)
                        .setNormalisation(Normalisation.UNIT_SQRT_N)
                        .setScales(bytes(1, 2, 3, 4))
                        .setProducerId("p")
                        .setSequence(7)
                        .setPayload(bytes(1, 2, 3, 4))
                        .setTokenIds(bytes(9, 0, 0, 0))
                        .setTextOffsets(bytes(0, 0, 0, 0, 3, 0, 0, 0))
                        .setDocuments(List.of(new TextSpan("doc", 0, "the river")))
                        .setRowDocuments(bytes(0, 0, 0, 0))
                        .setTimestampMs(123)
                        .build(),
                FeatureCodes.newBuilder()
                        .setSaeId("aen")
                        .setVersion(3)
                        .setD(8)
                        .setRows(1)
                        .setProducerId("p")
                        .setSequence(1)
                        .setRowOffsets(bytes(0, 0, 0, 0, 1, 0, 0, 0))
                        .setIndices(bytes(5, 0, 0, 0))
                        .setValues(bytes(0, 0, -128, 63))
                        .setActiveCounts(bytes(1, 0, 0, 0))
                        .build(),
                FeatureStats.newBuilder()
                        .setSaeId("aen")
                        .setVersion(3)
                        .setWindowStartMs(1)
                        .setWindowEndMs(2)
                        .setTokens(10)
                        .setD(1)
                        .setFireCounts(bytes(1, 0, 0, 0, 0, 0, 0, 0))
                        .setActivationSums(bytes(0, 0, 0, 0, 0, 0, -16, 63))
                        .setActivationMax(bytes(0, 0, -128, 63))
                        .setL0Sum(4.5)
                        .setFve(0.7)
                        .build(),
                Alert.newBuilder()
                        .setAlertType(AlertType.FEATURE_DEAD)
                        .setSeverity(Severity.WARNING)
                        .setSaeId("aen")
                        .setVersion(2)
                        .setFeatureIds(List.of(1, 5, 9))
                        .setValue(0)
                        .setThreshold(1e-12)
                        .setMessage("3 features dead")
                        .setTimestampMs(5)
                        .build(),
                SaeModel.newBuilder()
                        .setSaeId("aen")
                        .setVersion(4)
                        .setArch("aen")
                        .setN(256)
                        .setD(1024)
                        .setKMax(128)
                        .setNormalisation(Normalisation.NONE)
                        .setHyperparameters(Map.of("lambda1", "0.005"))
                        .setChecksum("ab")
                        .setSizeBytes(10)
                        .setChunkCount(1)
                        .setCreatedAtMs(9)
                        .build(),
                SaeModelChunk.newBuilder()
                        .setSaeId("aen")
                        .setVersion(4)
                        .setIndex(0)
                        .setCount(1)
                        .setData(bytes(1, 2))
                        .build(),
                TrainerMetrics.newBuilder()
                        .setSaeId("aen")
                        .setArch("aen")
                        .setVersion(1)
                        .setStep(10)
                        .setTokens(2560)
                        .setMse(0.1)
                        .setL1(0.2)
                        .setL2(0.3)
                        .setLoss(0.6)
                        .setL0(16)
                        .setFve(0.5)
                        .setDeadPct(1.5)
                        .setWeightSaturation(0.01)
                        .setWarmupFactor(0.5)
                        .setTokensPerS(1e5)
                        .setConsumerLag(3)
                        .setTimestampMs(4)
                        .build(),
                SaeState.newBuilder()
                        .setSaeId("aen")
                        .setVersion(3)
                        .setD(4)
                        .setTokens(100)
                        .setDeadPct(25)
                        .setRarePct(0)
                        .setL0(3.5)
                        .setDensityHistogram(List.of(1L, 0L, 3L))
                        .setUpdatedAtMs(7)
                        .build(),
                DeadLetter.newBuilder()
                        .setReason(DeadLetterReason.NON_FINITE)
                        .setDetail("NaN at row 0")
                        .setApplication("encode")
                        .setSourceTopic("aen.activations")
                        .setSourcePartition(1)
                        .setSourceOffset(99)
                        .setKey(null)
                        .setValue(bytes(1))
                        .setTimestampMs(6)
                        .build(),
                FeatureContexts.newBuilder()
                        .setSaeId("aen")
                        .setVersion(3)
                        .setBlock(0)
                        .setBlockSize(256)
                        .setK(2)
                        .setContexts(
                                List.of(
                                        FeatureContext.newBuilder()
                                                .setFeature(4)
                                                .setValue(1.5f)
                                                .setProducerId("p")
                                                .setSequence(7)
                                                .setRow(0)
                                                .setTokenId(9)
                                                .setDocumentId("doc")
                                                .setTextStart(4)
                                                .setText("the river")
                                                .setHighlightStart(4)
                                                .setHighlightEnd(9)
                                                .build()))
                        .build());
    }
}
