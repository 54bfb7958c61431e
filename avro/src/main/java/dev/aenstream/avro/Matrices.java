package dev.aenstream.avro;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Converts row-major float matrices to and from the little-endian payload bytes of activation
 * records.
 */
public final class Matrices {
    /** Rows of smaller norm are treated as having this norm, so a zero row stays zero. */
    private static final double NORM_FLOOR = 1e-12;

    private Matrices() {}

    /** Bytes one element takes in the given dtype. */
    public static int bytesPerElement(Dtype dtype) {
        return switch (dtype) {
            case FLOAT32 -> 4;
            case FLOAT16, BFLOAT16 -> 2;
        };
    }

    /**
     * Encodes {@code rows * n} values starting at {@code offset} into a new little-endian buffer.
     */
    public static ByteBuffer encode(float[] values, int offset, int rows, int n, Dtype dtype) {
        int count = Math.multiplyExact(rows, n);
        ByteBuffer out =
                ByteBuffer.allocate(count * bytesPerElement(dtype)).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case FLOAT32 -> out.asFloatBuffer().put(values, offset, count);
            case FLOAT16 -> {
                for (int i = 0; i < count; i++)
                    out.putShort(i * 2, floatToHalf(values[offset + i]));
            }
            case BFLOAT16 -> {
                for (int i = 0; i < count; i++)
                    out.putShort(i * 2, floatToBfloat16(values[offset + i]));
            }
        }
        return out;
    }

    /**
     * Decodes a payload into {@code dst} (which must have room for {@code rows * n} floats).
     *
     * @throws PayloadException if the payload length does not match the declared shape
     */
    public static void decode(ByteBuffer payload, Dtype dtype, int rows, int n, FloatBuffer dst) {
        if (rows < 0 || n <= 0) {
            throw new PayloadException("invalid shape rows=" + rows + " n=" + n);
        }
        long count = (long) rows * n;
        long expected = count * bytesPerElement(dtype);
        if (payload.remaining() != expected) {
            throw new PayloadException(
                    "payload has "
                            + payload.remaining()
                            + " bytes, but "
                            + rows
                            + " rows x "
                            + n
                            + " "
                            + dtype
                            + " need "
                            + expected);
        }
        ByteBuffer in = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = in.position();
        switch (dtype) {
            case FLOAT32 -> dst.put(in.asFloatBuffer());
            case FLOAT16 -> {
                for (int i = 0; i < count; i++) dst.put(halfToFloat(in.getShort(base + i * 2)));
            }
            case BFLOAT16 -> {
                for (int i = 0; i < count; i++) dst.put(bfloat16ToFloat(in.getShort(base + i * 2)));
            }
        }
    }

    /**
     * The factor that rescales the row at {@code offset} to L2 norm sqrt(n): the {@code
     * UNIT_SQRT_N} normalisation.
     */
    public static double unitScale(float[] x, int offset, int n) {
        double sq = 0;
        for (int i = 0; i < n; i++) sq += (double) x[offset + i] * x[offset + i];
        return Math.sqrt(n) / Math.max(Math.sqrt(sq), NORM_FLOOR);
    }

    /**
     * Rescales {@code rows} rows from {@code offset} to L2 norm sqrt(n) in place; returns the
     * factors.
     */
    public static float[] normaliseRows(float[] x, int offset, int rows, int n) {
        float[] scales = new float[rows];
        for (int r = 0; r < rows; r++) {
            int base = offset + r * n;
            float scale = (float) unitScale(x, base, n);
            for (int i = 0; i < n; i++) x[base + i] *= scale;
            scales[r] = scale;
        }
        return scales;
    }

    /** IEEE 754 binary16 to float, exact. */
    public static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            // Subnormal half: value = mant * 2^-24, exactly representable as a float.
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Float to IEEE 754 binary16, rounding to nearest even, overflow to infinity. */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) return (short) sign;
            // Subnormal result: shift in the implicit bit, then round to nearest even.
            int m = mant | 0x800000;
            int shift = 14 - e;
            int half = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) != 0)) half++;
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) half++;
        return (short) (sign | half);
    }

    /** bfloat16 to float, exact. */
    public static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Float to bfloat16, rounding to nearest even; NaN stays NaN. */
    public static short floatToBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
