package dev.aenstream.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes the safetensors format (an 8-byte little-endian header length, a JSON header of
 * dtype, shape and byte offsets per tensor, then raw little-endian data), the format SAELens,
 * sparsify and HuggingFace use, and the one our parameters are saved in.
 */
public final class Safetensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    /** One tensor: dtype (F32, F16, BF16 ...), shape and its raw little-endian bytes. */
    public record Tensor(String dtype, long[] shape, ByteBuffer data) {
        public long elements() {
            long count = 1;
            for (long dim : shape) count *= dim;
            return count;
        }

        /** The values as floats, converting F16 and BF16. */
        public float[] toFloats() {
            long count = elements();
            if (count > Integer.MAX_VALUE)
                throw new IllegalStateException("tensor too large: " + count);
            float[] out = new float[(int) count];
            ByteBuffer in = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            switch (dtype) {
                case "F32" -> in.asFloatBuffer().get(out);
                case "F16" -> {
                    for (int i = 0; i < out.length; i++)
                        out[i] = dev.aenstream.avro.Matrices.halfToFloat(in.getShort(i * 2));
                }
                case "BF16" -> {
                    for (int i = 0; i < out.length; i++)
                        out[i] = dev.aenstream.avro.Matrices.bfloat16ToFloat(in.getShort(i * 2));
                }
                case "F64" -> {
                    for (int i = 0; i < out.length; i++) out[i] = (float) in.getDouble(i * 8);
                }
                default ->
                        throw new IllegalArgumentException(
                                "unsupported safetensors dtype " + dtype);
            }
            return out;
        }

        public static Tensor ofFloats(float[] values, long... shape) {
            ByteBuffer bytes =
                    ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            return new Tensor("F32", shape, bytes);
        }
    }

    /** A file's tensors in header order and its {@code __metadata__} strings. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
        public Tensor require(String name) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException(
                        "safetensors file has no tensor '"
                                + name
                                + "' (has "
                                + tensors.keySet()
                                + ")");
            }
            return t;
        }

        /** The two dimensions of the matrix {@code name}; anything else is refused. */
        public int[] matrix(String name) {
            long[] shape = require(name).shape();
            if (shape.length != 2 || shape[0] > Integer.MAX_VALUE || shape[1] > Integer.MAX_VALUE)
                throw new IllegalArgumentException(
                        "safetensors tensor '"
                                + name
                                + "' must be a matrix of at most 2^31 rows and columns, but has"
                                + " shape "
                                + java.util.Arrays.toString(shape));
            return new int[] {(int) shape[0], (int) shape[1]};
        }

        /** The values of matrix {@code name}, which must be {@code rows} x {@code cols}. */
        public float[] matrixFloats(String name, int rows, int cols) {
            int[] dims = matrix(name);
            if (dims[0] != rows || dims[1] != cols)
                throw new IllegalArgumentException(
                        "safetensors tensor '"
                                + name
                                + "' must be "
                                + rows
                                + " x "
                                + cols
                                + ", but has shape "
                                + java.util.Arrays.toString(require(name).shape()));
            return require(name).toFloats();
        }

        /** The values of {@code name}, which must hold {@code length} of them. */
        public float[] vectorFloats(String name, int length) {
            Tensor t = require(name);
            if (t.elements() != length)
                throw new IllegalArgumentException(
                        "safetensors tensor '"
                                + name
                                + "' must hold "
                                + length
                                + " values, but has shape "
                                + java.util.Arrays.toString(t.shape()));
            return t.toFloats();
        }
    }

    private Safetensors() {}

    public static Contents read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = header(channel, file);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (var t : h.tensors().entrySet()) {
                Entry e = t.getValue();
                ByteBuffer data =
                        ByteBuffer.allocate((int) (e.end() - e.begin()))
                                .order(ByteOrder.LITTLE_ENDIAN);
                readFully(channel, data, h.dataStart() + e.begin(), file);
                tensors.put(t.getKey(), new Tensor(e.dtype(), e.shape(), data.flip()));
            }
            return new Contents(tensors, h.metadata());
        }
    }

    /**
     * A file's header, checked whole: each tensor's entry ({@code begin} and {@code end} relative
     * to {@code dataStart}, inside the file), in header order, and the metadata strings.
     */
    public record Header(
            Map<String, Entry> tensors, Map<String, String> metadata, long dataStart) {}

    /** Reads and checks the header of {@code file}, leaving its data where it is. */
    public static Header header(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return header(channel, file);
        }
    }

    private static Header header(FileChannel channel, Path file) throws IOException {
        long size = channel.size();
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0, file);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength <= 0 || headerLength > MAX_HEADER || 8 + headerLength > size) {
            throw new IOException(
                    file
                            + " is not a safetensors file: header length "
                            + headerLength
                            + " in "
                            + size
                            + " bytes");
        }
        ByteBuffer header = ByteBuffer.allocate((int) headerLength);
        readFully(channel, header, 8, file);
        JsonNode root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
        if (root == null || !root.isObject())
            throw new IOException(
                    file + " is not a safetensors file: its header is not a JSON object");
        long dataStart = 8 + headerLength;
        Map<String, Entry> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (!field.getValue().isObject())
                throw new IOException(
                        file + ": header entry " + field.getKey() + " is not an object");
            if (field.getKey().equals("__metadata__")) {
                field.getValue()
                        .fields()
                        .forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
                continue;
            }
            Entry e = entry(file, field.getKey(), field.getValue());
            if (e.end() > size - dataStart)
                throw new IOException(
                        file + ": tensor " + field.getKey() + " lies outside the file");
            tensors.put(field.getKey(), e);
        }
        return new Header(tensors, metadata, dataStart);
    }

    /** A tensor's header entry, checked: every field there and consistent with the others. */
    public record Entry(String dtype, long[] shape, long begin, long end) {}

    private static Entry entry(Path file, String name, JsonNode info) throws IOException {
        String where = file + ": tensor " + name;
        JsonNode dtype = info.get("dtype");
        JsonNode shape = info.get("shape");
        JsonNode offsets = info.get("data_offsets");
        if (dtype == null
                || !dtype.isTextual()
                || shape == null
                || !shape.isArray()
                || offsets == null
                || !offsets.isArray()
                || offsets.size() != 2)
            throw new IOException(where + " needs a dtype, a shape and two data_offsets");
        long[] dims = new long[shape.size()];
        long elements = 1;
        try {
            for (int i = 0; i < dims.length; i++) {
                if (!shape.get(i).canConvertToLong() || shape.get(i).asLong() < 0)
                    throw new IOException(where + " has a shape that is not whole numbers >= 0");
                dims[i] = shape.get(i).asLong();
                elements = Math.multiplyExact(elements, dims[i]);
            }
        } catch (ArithmeticException e) {
            throw new IOException(where + " has a shape too large to address");
        }
        if (!offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong())
            throw new IOException(where + " has data_offsets that are not whole numbers");
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin) throw new IOException(where + " lies outside the file");
        // One Java array holds a tensor here: over 2 GiB it must come in another layout.
        if (end - begin > Integer.MAX_VALUE - 8)
            throw new IOException(
                    where + " is over 2 GiB, more than this reader takes in one piece");
        int width = bytesPerElement(dtype.asText());
        if (width > 0 && elements * width != end - begin)
            throw new IOException(
                    where
                            + " has "
                            + (end - begin)
                            + " bytes of data, but its shape and "
                            + dtype.asText()
                            + " need "
                            + elements * width);
        return new Entry(dtype.asText(), dims, begin, end);
    }

    /** Bytes per element of the float types this reader converts; 0 for others. */
    private static int bytesPerElement(String dtype) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            case "F64" -> 8;
            default -> 0;
        };
    }

    private static void readFully(FileChannel channel, ByteBuffer dst, long position, Path file)
            throws IOException {
        while (dst.hasRemaining()) {
            int read = channel.read(dst, position);
            if (read < 0) throw new IOException(file + " ends early");
            position += read;
        }
    }

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            ObjectNode info = header.putObject(e.getKey());
            info.put("dtype", e.getValue().dtype());
            var shape = info.putArray("shape");
            for (long dim : e.getValue().shape()) shape.add(dim);
            long length = e.getValue().data().remaining();
            info.putArray("data_offsets").add(offset).add(offset + length);
            offset += length;
        }
        byte[] headerBytes = JSON.writeValueAsBytes(header);
        // The format asks for the data to start 8-byte aligned; pad the header with spaces.
        int padded = (headerBytes.length + 7) / 8 * 8;
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                out.write(
                        ByteBuffer.allocate(8)
                                .order(ByteOrder.LITTLE_ENDIAN)
                                .putLong(padded)
                                .array());
                out.write(headerBytes);
                for (int i = headerBytes.length; i < padded; i++) out.write(' ');
                for (Tensor t : tensors.values()) {
                    ByteBuffer data = t.data().duplicate();
                    byte[] chunk = new byte[Math.min(data.remaining(), 1 << 20)];
                    while (data.hasRemaining()) {
                        int len = Math.min(chunk.length, data.remaining());
                        data.get(chunk, 0, len);
                        out.write(chunk, 0, len);
                    }
                }
            }
        } catch (IOException e) {
            // A full disk must not leave a half-written file behind.
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(
                tmp,
                file,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
