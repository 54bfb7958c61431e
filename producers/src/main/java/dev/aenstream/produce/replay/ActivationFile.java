package dev.aenstream.produce.replay;

import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.Matrices;
import dev.aenstream.sae.Safetensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stored activations as rows x n little-endian values, memory-mapped: a NumPy {@code .npy} array
 * (float32 or float16, C order) or one tensor of a {@code .safetensors} file (F32, F16 or BF16).
 * Leading dimensions (batch, sequence) are flattened into rows.
 */
public record ActivationFile(Path path, long rows, int n, Dtype dtype, ByteBuffer data) {
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** The bytes of rows [from, from + count). */
    public ByteBuffer rows(long from, int count) {
        int width = n * Matrices.bytesPerElement(dtype);
        return data.duplicate()
                .position(Math.toIntExact(from * width))
                .limit(Math.toIntExact((from + count) * width))
                .slice();
    }

    /**
     * Opens {@code .npy} or {@code .safetensors}; {@code tensor} names the safetensors tensor
     * (null: the only one).
     */
    public static ActivationFile open(Path path, String tensor) throws IOException {
        String name = path.getFileName().toString();
        try {
            if (name.endsWith(".npy")) return npy(path);
            if (name.endsWith(".safetensors")) return safetensors(path, tensor);
        } catch (java.nio.BufferUnderflowException
                | NumberFormatException
                | NegativeArraySizeException
                | ArithmeticException
                | IndexOutOfBoundsException e) {
            // A header that says more than the file holds, or numbers that are not numbers.
            throw new IOException(path + " has a malformed or cut-short header: " + e, e);
        }
        throw new IOException(path + ": expected a .npy or .safetensors file");
    }

    private static MappedByteBuffer map(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            if (channel.size() > Integer.MAX_VALUE)
                throw new IOException(path + " is larger than 2 GiB; split it");
            MappedByteBuffer b = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
            b.order(ByteOrder.LITTLE_ENDIAN);
            return b;
        }
    }

    private static ActivationFile npy(Path path) throws IOException {
        MappedByteBuffer b = map(path);
        byte[] magic = new byte[6];
        b.get(magic);
        if (!Arrays.equals(magic, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'}))
            throw new IOException(path + " is not a .npy file");
        int major = b.get() & 0xff;
        b.get();
        int headerLength = major == 1 ? b.getShort() & 0xffff : b.getInt();
        // The length is the file's word: checked against the file before anything is allocated.
        if (headerLength < 0 || headerLength > b.remaining())
            throw new IOException(
                    path
                            + ": its header claims "
                            + Integer.toUnsignedString(headerLength)
                            + " bytes, but "
                            + b.remaining()
                            + " follow");
        byte[] header = new byte[headerLength];
        b.get(header);
        String h = new String(header, StandardCharsets.ISO_8859_1);
        String descr = find(DESCR, h, path, "descr");
        if (find(FORTRAN, h, path, "fortran_order").equals("True")) {
            throw new IOException(
                    path + " is in Fortran order; save it C-contiguous (np.ascontiguousarray)");
        }
        long[] shape =
                Arrays.stream(find(SHAPE, h, path, "shape").split(","))
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .mapToLong(Long::parseLong)
                        .toArray();
        Dtype dtype =
                switch (descr) {
                    case "<f4" -> Dtype.FLOAT32;
                    case "<f2" -> Dtype.FLOAT16;
                    default ->
                            throw new IOException(
                                    path
                                            + ": dtype "
                                            + descr
                                            + " is not supported (little-endian float32 '<f4' or"
                                            + " float16 '<f2')");
                };
        return of(path, shape, dtype, b.slice().order(ByteOrder.LITTLE_ENDIAN));
    }

    private static ActivationFile safetensors(Path path, String tensor) throws IOException {
        Safetensors.Header header = Safetensors.header(path);
        String chosen = tensor;
        if (chosen == null) {
            if (header.tensors().size() != 1)
                throw new IOException(
                        path
                                + " holds tensors "
                                + header.tensors().keySet()
                                + ": choose one with --tensor");
            chosen = header.tensors().keySet().iterator().next();
        }
        Safetensors.Entry info = header.tensors().get(chosen);
        if (info == null) throw new IOException(path + " has no tensor '" + chosen + "'");
        Dtype dtype =
                switch (info.dtype()) {
                    case "F32" -> Dtype.FLOAT32;
                    case "F16" -> Dtype.FLOAT16;
                    case "BF16" -> Dtype.BFLOAT16;
                    default ->
                            throw new IOException(
                                    path
                                            + ": tensor dtype "
                                            + info.dtype()
                                            + " is not supported (F32, F16, BF16)");
                };
        // Checked by the header: the tensor lies inside the file, which map() keeps under 2 GiB.
        int start = (int) (header.dataStart() + info.begin());
        int end = (int) (header.dataStart() + info.end());
        return of(
                path,
                info.shape(),
                dtype,
                map(path).position(start).limit(end).slice().order(ByteOrder.LITTLE_ENDIAN));
    }

    private static ActivationFile of(Path path, long[] shape, Dtype dtype, ByteBuffer data)
            throws IOException {
        if (shape.length < 2)
            throw new IOException(
                    path
                            + " holds a tensor of shape "
                            + Arrays.toString(shape)
                            + "; need [..., n]");
        int n = Math.toIntExact(shape[shape.length - 1]);
        long rows = 1;
        for (int i = 0; i < shape.length - 1; i++) rows *= shape[i];
        long expected = rows * n * Matrices.bytesPerElement(dtype);
        if (data.remaining() < expected)
            throw new IOException(
                    path + " ends early: " + data.remaining() + " of " + expected + " bytes");
        return new ActivationFile(
                path,
                rows,
                n,
                dtype,
                data.limit(Math.toIntExact(expected)).slice().order(ByteOrder.LITTLE_ENDIAN));
    }

    private static String find(Pattern p, String header, Path path, String what)
            throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find())
            throw new IOException(path + ": .npy header has no " + what + ": " + header.strip());
        return m.group(1);
    }
}
