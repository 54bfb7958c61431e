package dev.aenstream.sae.onnx;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.aenstream.avro.Matrices;
import java.util.Locale;

/**
 * The element type an encoder's weight matrices are stored in: float32, or half the bytes as
 * float16 or bfloat16, cast to float32 inside the graph (ONNX Runtime folds the cast when it loads
 * the graph on the CPU).
 */
public enum WeightPrecision {
    FLOAT32(DataType.FLOAT, 4),
    FLOAT16(DataType.FLOAT16, 2),
    BFLOAT16(DataType.BFLOAT16, 2);

    private final DataType type;
    private final int bytes;

    WeightPrecision(DataType type, int bytes) {
        this.type = type;
        this.bytes = bytes;
    }

    public DataType type() {
        return type;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** The 16 bits of {@code value} in this precision (not for {@link #FLOAT32}). */
    short narrow(float value) {
        return this == FLOAT16 ? Matrices.floatToHalf(value) : Matrices.floatToBfloat16(value);
    }

    /** The value of 16 bits of this precision (not for {@link #FLOAT32}). */
    public float widen(short bits) {
        return this == FLOAT16 ? Matrices.halfToFloat(bits) : Matrices.bfloat16ToFloat(bits);
    }

    /** {@code value} as this precision stores it. */
    public float round(float value) {
        return this == FLOAT32 ? value : widen(narrow(value));
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** float32, float16 or bfloat16. */
    public static WeightPrecision parse(String text) {
        for (WeightPrecision p : values()) if (p.label().equalsIgnoreCase(text)) return p;
        throw new IllegalArgumentException(
                "weights are float32, float16 or bfloat16, not '" + text + "'");
    }

    /** The precision whose ONNX element type is {@code dataType}, or null. */
    public static WeightPrecision of(int dataType) {
        for (WeightPrecision p : values()) if (p.type.getNumber() == dataType) return p;
        return null;
    }
}
