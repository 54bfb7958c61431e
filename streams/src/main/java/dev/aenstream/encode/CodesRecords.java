package dev.aenstream.encode;

import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.sae.SparseCodes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Converts {@link SparseCodes} to and from their {@link FeatureCodes} wire record. */
public final class CodesRecords {
    private CodesRecords() {}

    public static FeatureCodes toRecord(
            SparseCodes codes, String saeId, long version, String producerId, long sequence) {
        return FeatureCodes.newBuilder()
                .setSaeId(saeId)
                .setVersion(version)
                .setD(codes.d())
                .setRows(codes.rows())
                .setProducerId(producerId)
                .setSequence(sequence)
                .setRowOffsets(ints(codes.rowOffsets()))
                .setIndices(ints(codes.indices()))
                .setValues(floats(codes.values()))
                .setActiveCounts(ints(codes.activeCounts()))
                .build();
    }

    public static SparseCodes fromRecord(FeatureCodes record) {
        return new SparseCodes(
                record.getRows(),
                record.getD(),
                ints(record.getRowOffsets()),
                ints(record.getIndices()),
                floats(record.getValues()),
                ints(record.getActiveCounts()));
    }

    private static ByteBuffer ints(int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return b;
    }

    private static ByteBuffer floats(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b;
    }

    private static int[] ints(ByteBuffer bytes) {
        int[] out = new int[bytes.remaining() / 4];
        bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
        return out;
    }

    private static float[] floats(ByteBuffer bytes) {
        float[] out = new float[bytes.remaining() / 4];
        bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
