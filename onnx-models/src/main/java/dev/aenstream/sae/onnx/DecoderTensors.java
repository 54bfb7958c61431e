package dev.aenstream.sae.onnx;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.sae.SaeDecoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An SAE's decoder as tensors an encoder graph carries ({@value SaeDecoder#ATOMS} [D, n] and
 * {@value SaeDecoder#B_DEC} [n], used by no node): written into a package, and read back, block by
 * block, from where the package's weights lie.
 */
public final class DecoderTensors {
    /** Bytes read from a file at a time. */
    private static final int READ_PIECE_BYTES = 1 << 20;

    private DecoderTensors() {}

    /** The atoms [D, n], row-major, as values a package writes block by block. */
    public static TensorValues atoms(SaeDecoder decoder) {
        return new TensorValues() {
            @Override
            public long bytes() {
                return (long) decoder.d() * decoder.n() * Float.BYTES;
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                for (float[] block : decoder.blocks()) TensorValues.of(block).writeTo(out);
            }
        };
    }

    /** The decoder bias b_dec [n]. */
    public static TensorValues bias(SaeDecoder decoder) {
        return TensorValues.of(decoder.bias());
    }

    /**
     * The decoder an encoder graph carries, or null; tensors held as external data are read from
     * {@code weights}, the package's stream whose weights start at {@code weightsStart}, and
     * widened to float32 when stored in float16 or bfloat16.
     */
    public static SaeDecoder read(OnnxMl.ModelProto model, Path weights, long weightsStart)
            throws IOException {
        OnnxMl.TensorProto atoms = null;
        OnnxMl.TensorProto bias = null;
        for (OnnxMl.TensorProto t : model.getGraph().getInitializerList()) {
            // Atoms stored in float16 or bfloat16 are named after their precision.
            if (t.getName().equals(SaeDecoder.ATOMS)
                    || t.getName().startsWith(SaeDecoder.ATOMS + ".")) atoms = t;
            else if (t.getName().equals(SaeDecoder.B_DEC)) bias = t;
        }
        if (atoms == null || bias == null || atoms.getDimsCount() != 2) return null;
        SaeDecoder decoder =
                SaeDecoder.zeros(
                        Math.toIntExact(atoms.getDims(1)), Math.toIntExact(atoms.getDims(0)));
        read(bias, weights, weightsStart, new float[][] {decoder.bias()});
        read(atoms, weights, weightsStart, decoder.blocks());
        return decoder;
    }

    /** Fills {@code into}, array after array, with the tensor's values as floats. */
    private static void read(OnnxMl.TensorProto t, Path weights, long weightsStart, float[][] into)
            throws IOException {
        WeightPrecision precision = WeightPrecision.of(t.getDataType());
        if (precision == null)
            throw new IOException(t.getName() + " has element type " + t.getDataType());
        long expected = 0;
        for (float[] a : into) expected += (long) a.length * precision.bytes();
        if (t.getDataLocation() != OnnxMl.TensorProto.DataLocation.EXTERNAL) {
            ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            if (raw.remaining() != expected)
                throw new IOException(
                        t.getName() + " holds " + raw.remaining() + " bytes, not " + expected);
            for (float[] a : into) {
                int filled = 0;
                while (filled < a.length) filled += widen(raw, precision, a, filled);
            }
            return;
        }
        long offset = 0;
        long length = 0;
        for (OnnxMl.StringStringEntryProto e : t.getExternalDataList()) {
            if (e.getKey().equals("offset")) offset = Long.parseLong(e.getValue());
            if (e.getKey().equals("length")) length = Long.parseLong(e.getValue());
        }
        if (length != expected)
            throw new IOException(t.getName() + " holds " + length + " bytes, not " + expected);
        ByteBuffer piece = ByteBuffer.allocate(READ_PIECE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel in = FileChannel.open(weights, StandardOpenOption.READ)) {
            long at = weightsStart + offset;
            for (float[] a : into) {
                int filled = 0;
                while (filled < a.length) {
                    piece.clear()
                            .limit(
                                    Math.min(
                                            piece.capacity(),
                                            (a.length - filled) * precision.bytes()));
                    while (piece.hasRemaining()) {
                        int read = in.read(piece, at);
                        if (read < 0)
                            throw new IOException(weights + " ends inside tensor " + t.getName());
                        at += read;
                    }
                    filled += widen(piece.flip(), precision, a, filled);
                }
            }
        }
    }

    /** Moves the whole elements {@code in} holds into {@code out} from {@code at}; their count. */
    private static int widen(ByteBuffer in, WeightPrecision precision, float[] out, int at) {
        int count = Math.min(in.remaining() / precision.bytes(), out.length - at);
        if (precision == WeightPrecision.FLOAT32) {
            in.asFloatBuffer().get(out, at, count);
            in.position(in.position() + count * Float.BYTES);
        } else {
            for (int i = 0; i < count; i++) out[at + i] = precision.widen(in.getShort());
        }
        return count;
    }
}
