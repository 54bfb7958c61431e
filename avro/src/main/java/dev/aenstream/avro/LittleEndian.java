package dev.aenstream.avro;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The wire's arrays: int32, int64 and float32 values packed little-endian in one {@code bytes}. */
public final class LittleEndian {
    private LittleEndian() {}

    /** {@code count} values of {@code values} from {@code from}. */
    public static ByteBuffer ints(int[] values, int from, int count) {
        ByteBuffer b = ByteBuffer.allocate(count * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values, from, count);
        return b;
    }

    public static ByteBuffer ints(int[] values) {
        return ints(values, 0, values.length);
    }

    public static ByteBuffer longs(long[] values) {
        ByteBuffer b =
                ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return b;
    }

    public static ByteBuffer floats(float[] values) {
        ByteBuffer b =
                ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b;
    }

    /** The int32 values of {@code bytes} (its remaining bytes; its position stays). */
    public static int[] ints(ByteBuffer bytes) {
        int[] out = new int[bytes.remaining() / Integer.BYTES];
        bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
        return out;
    }

    public static long[] longs(ByteBuffer bytes) {
        long[] out = new long[bytes.remaining() / Long.BYTES];
        bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }

    public static float[] floats(ByteBuffer bytes) {
        float[] out = new float[bytes.remaining() / Float.BYTES];
        bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
