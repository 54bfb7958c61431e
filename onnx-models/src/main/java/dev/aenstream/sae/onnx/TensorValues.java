package dev.aenstream.sae.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** TensorValues of one external tensor, written in order and in pieces. */
public interface TensorValues {
    /** How many bytes {@link #writeTo} writes. */
    long bytes();

    void writeTo(WritableByteChannel out) throws IOException;

    /** float32 values of an array, little-endian. */
    static TensorValues of(float[] values) {
        return new TensorValues() {
            @Override
            public long bytes() {
                return (long) values.length * Float.BYTES;
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                ByteBuffer piece =
                        ByteBuffer.allocate(OnnxPackage.PIECE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                int perPiece = OnnxPackage.PIECE_BYTES / Float.BYTES;
                for (int from = 0; from < values.length; from += perPiece) {
                    int count = Math.min(perPiece, values.length - from);
                    piece.asFloatBuffer().put(values, from, count);
                    piece.position(count * Float.BYTES);
                    OnnxPackage.drain(piece, out);
                }
            }
        };
    }

    /**
     * These float32 values stored in {@code precision}: half the bytes for float16 and bfloat16,
     * converted as they are written.
     */
    default TensorValues in(WeightPrecision precision) {
        if (precision == WeightPrecision.FLOAT32) return this;
        TensorValues floats = this;
        return new TensorValues() {
            @Override
            public long bytes() {
                return floats.bytes() / Float.BYTES * precision.bytes();
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                ByteBuffer narrow =
                        ByteBuffer.allocate(OnnxPackage.PIECE_BYTES / 2)
                                .order(ByteOrder.LITTLE_ENDIAN);
                floats.writeTo(
                        new ByteSink.Elements(Float.BYTES) {
                            @Override
                            void element(ByteBuffer in) throws IOException {
                                narrow.putShort(precision.narrow(in.getFloat()));
                                if (!narrow.hasRemaining()) OnnxPackage.drain(narrow, out);
                            }
                        });
                OnnxPackage.drain(narrow, out);
            }
        };
    }

    /** These float32 values in an array (at most 2^31 - 1 of them). */
    default float[] floats() throws IOException {
        long count = bytes() / Float.BYTES;
        if (count > Integer.MAX_VALUE - 8)
            throw new IOException(count + " values do not fit in one array");
        float[] out = new float[(int) count];
        writeTo(
                new ByteSink.Elements(Float.BYTES) {
                    private int at;

                    @Override
                    void element(ByteBuffer in) {
                        out[at++] = in.getFloat();
                    }
                });
        return out;
    }

    /**
     * Bytes {@code [from, from + length)} of these values (a block of a matrix's rows): by default
     * the whole is written and the rest dropped, so any values can be cut, at the cost of writing
     * them once per slice; values read from a file read only the slice.
     */
    default TensorValues slice(long from, long length) {
        TensorValues whole = this;
        if (from < 0 || length < 0 || from + length > bytes())
            throw new IllegalArgumentException(
                    "slice [" + from + ", " + (from + length) + ") of " + bytes() + " bytes");
        return new TensorValues() {
            @Override
            public long bytes() {
                return length;
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                whole.writeTo(
                        new ByteSink() {
                            private long at;

                            @Override
                            public int write(ByteBuffer src) throws IOException {
                                int written = src.remaining();
                                long start = Math.max(at, from);
                                long end = Math.min(at + written, from + length);
                                if (start < end) {
                                    ByteBuffer part = src.duplicate();
                                    part.position(src.position() + (int) (start - at));
                                    part.limit(src.position() + (int) (end - at));
                                    while (part.hasRemaining()) out.write(part);
                                }
                                at += written;
                                src.position(src.limit());
                                return written;
                            }
                        });
            }
        };
    }

    /**
     * float32 values of these bytes stored in {@code precision} (widened as they are written): the
     * inverse of {@link #in}, exact both ways.
     */
    default TensorValues widened(WeightPrecision precision) {
        if (precision == WeightPrecision.FLOAT32) return this;
        TensorValues narrow = this;
        return new TensorValues() {
            @Override
            public long bytes() {
                return narrow.bytes() / precision.bytes() * Float.BYTES;
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                ByteBuffer wide =
                        ByteBuffer.allocate(OnnxPackage.PIECE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                narrow.writeTo(
                        new ByteSink.Elements(precision.bytes()) {
                            @Override
                            void element(ByteBuffer in) throws IOException {
                                wide.putFloat(precision.widen(in.getShort()));
                                if (!wide.hasRemaining()) OnnxPackage.drain(wide, out);
                            }
                        });
                OnnxPackage.drain(wide, out);
            }

            @Override
            public TensorValues slice(long from, long length) {
                // Cut where the values are stored, in their own element size.
                return narrow.slice(
                                from / Float.BYTES * precision.bytes(),
                                length / Float.BYTES * precision.bytes())
                        .widened(precision);
            }
        };
    }

    /** These values, then {@code next}'s. */
    default TensorValues then(TensorValues next) {
        TensorValues first = this;
        return new TensorValues() {
            @Override
            public long bytes() {
                return first.bytes() + next.bytes();
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                first.writeTo(out);
                next.writeTo(out);
            }

            @Override
            public TensorValues slice(long from, long length) {
                long split = first.bytes();
                if (from + length <= split) return first.slice(from, length);
                if (from >= split) return next.slice(from - split, length);
                return first.slice(from, split - from).then(next.slice(0, from + length - split));
            }
        };
    }

    /** {@code length} bytes of {@code file} from {@code offset}, copied as they are. */
    static TensorValues fromFile(Path file, long offset, long length) {
        return new TensorValues() {
            @Override
            public long bytes() {
                return length;
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                    long done = 0;
                    while (done < length) {
                        long moved = in.transferTo(offset + done, length - done, out);
                        if (moved <= 0 && offset + done >= in.size())
                            throw new IOException(file + " ends before its tensor does");
                        done += moved;
                    }
                }
            }

            @Override
            public TensorValues slice(long from, long sliced) {
                if (from < 0 || sliced < 0 || from + sliced > length)
                    throw new IllegalArgumentException(
                            "slice ["
                                    + from
                                    + ", "
                                    + (from + sliced)
                                    + ") of "
                                    + length
                                    + " bytes");
                return fromFile(file, offset + from, sliced);
            }
        };
    }

    /** float32 values computed one at a time: a model that never exists whole in memory. */
    static TensorValues generated(long count, Generator generator) {
        return new TensorValues() {
            @Override
            public long bytes() {
                return count * Float.BYTES;
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                ByteBuffer piece =
                        ByteBuffer.allocate(OnnxPackage.PIECE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (long i = 0; i < count; i++) {
                    piece.putFloat(generator.value(i));
                    if (!piece.hasRemaining()) OnnxPackage.drain(piece, out);
                }
                OnnxPackage.drain(piece, out);
            }
        };
    }

    /** The value of element {@code i} of a tensor, in row-major order. */
    @FunctionalInterface
    public interface Generator {
        float value(long i);
    }
}
