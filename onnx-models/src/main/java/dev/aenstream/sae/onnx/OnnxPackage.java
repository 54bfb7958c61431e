package dev.aenstream.sae.onnx;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * An ONNX model whose large tensors lie beside its graph as ONNX external data, so that neither
 * protobuf's 2 GiB limit nor Java's array and buffer sizes bound a model.
 *
 * <p>As one byte stream (a file, or chunks on the models topic): the graph's protobuf, zeros up to
 * the next multiple of {@value #ALIGN}, then the weights. Every external tensor names the location
 * {@value #WEIGHTS} and an offset into the weights, aligned to {@value #ALIGN} so ONNX Runtime can
 * map it. A model without external tensors is its graph alone, byte for byte the ONNX file.
 */
public final class OnnxPackage {
    /** The location every external tensor of a package names; rewritten when the files land. */
    public static final String WEIGHTS = "weights.bin";

    /** Alignment of the weights and of each tensor in them: a page, so they can be mapped. */
    public static final int ALIGN = 4096;

    /**
     * Tensors of at least this many bytes travel as external data: the graph stays small enough to
     * parse and check in memory, and the weights are written and read in pieces.
     */
    public static final long EXTERNAL_FROM_BYTES = 1L << 20;

    /** Bytes handed to a channel at a time when weights are written. */
    static final int PIECE_BYTES = 1 << 20;

    /** One external tensor: where its bytes start in the weights, and what they are. */
    public record External(String name, long offset, TensorValues values) {}

    private final byte[] graph;
    private final List<External> externals;

    OnnxPackage(byte[] graph, List<External> externals) {
        this.graph = graph;
        this.externals = List.copyOf(externals);
    }

    /** The tensors that lie beside the graph, in the order of their offsets. */
    List<External> externals() {
        return externals;
    }

    /** A model with every tensor inside its graph. */
    public static OnnxPackage of(byte[] onnx) {
        return new OnnxPackage(onnx, List.of());
    }

    /**
     * A model read from a file, whose external data (if any) lies in files beside it in {@code
     * dir}: those tensors become the package's weights, read from their files when written.
     */
    public static OnnxPackage adopt(byte[] onnx, Path dir) throws IOException {
        OnnxMl.ModelProto model;
        try {
            model = OnnxMl.ModelProto.parseFrom(onnx);
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("not an ONNX model: " + e.getMessage(), e);
        }
        OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
        List<External> externals = new java.util.ArrayList<>();
        long weightsBytes = 0;
        for (OnnxMl.TensorProto.Builder t : g.getInitializerBuilderList()) {
            if (t.getDataLocation() != OnnxMl.TensorProto.DataLocation.EXTERNAL) continue;
            String location = null;
            long offset = 0;
            long length = -1;
            for (OnnxMl.StringStringEntryProto e : t.getExternalDataList()) {
                switch (e.getKey()) {
                    case "location" -> location = e.getValue();
                    case "offset" -> offset = Long.parseLong(e.getValue());
                    case "length" -> length = Long.parseLong(e.getValue());
                    default -> {}
                }
            }
            Path file = location == null ? null : dir.resolve(location).normalize();
            if (file == null || !file.startsWith(dir.normalize()) || !Files.isRegularFile(file))
                throw new IOException(
                        "tensor "
                                + t.getName()
                                + " names external data '"
                                + location
                                + "', not a file in "
                                + dir);
            if (length < 0) length = Files.size(file) - offset;
            long at = weightsStart(weightsBytes);
            externals.add(
                    new External(t.getName(), at, TensorValues.fromFile(file, offset, length)));
            weightsBytes = at + length;
            t.clearExternalData()
                    .addExternalData(entry("location", WEIGHTS))
                    .addExternalData(entry("offset", Long.toString(at)))
                    .addExternalData(entry("length", Long.toString(length)));
        }
        if (externals.isEmpty()) return of(onnx);
        return new OnnxPackage(model.toBuilder().setGraph(g).build().toByteArray(), externals);
    }

    static OnnxMl.StringStringEntryProto entry(String key, String value) {
        return OnnxMl.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    /** The graph's protobuf; external tensors name {@value #WEIGHTS}. */
    public byte[] graph() {
        return graph;
    }

    public boolean selfContained() {
        return externals.isEmpty();
    }

    /** Where the weights start in the stream: the graph's length rounded up to {@value #ALIGN}. */
    public long weightsStart() {
        return weightsStart(graph.length);
    }

    public static long weightsStart(long graphBytes) {
        return (graphBytes + ALIGN - 1) / ALIGN * ALIGN;
    }

    public long weightsBytes() {
        if (externals.isEmpty()) return 0;
        External last = externals.get(externals.size() - 1);
        return last.offset() + last.values().bytes();
    }

    /** Length of the byte stream {@link #writeTo} writes. */
    public long sizeBytes() {
        return selfContained() ? graph.length : weightsStart() + weightsBytes();
    }

    /** Writes the stream: the graph, padding, then each external tensor at its offset. */
    public void writeTo(WritableByteChannel out) throws IOException {
        out.write(ByteBuffer.wrap(graph));
        if (selfContained()) return;
        long at = graph.length;
        at = pad(out, at, weightsStart());
        long start = weightsStart();
        for (External e : externals) {
            at = pad(out, at, start + e.offset());
            e.values().writeTo(out);
            at += e.values().bytes();
        }
    }

    /**
     * Writes the model as ONNX Runtime and the onnx library read it: {@code modelFile} holds the
     * graph and, when it has external tensors, {@code modelFile + ".data"} holds their bytes.
     */
    public void writeFiles(Path modelFile) throws IOException {
        if (selfContained()) {
            Files.write(modelFile, graph);
            return;
        }
        Path data = modelFile.resolveSibling(modelFile.getFileName() + ".data");
        Files.write(modelFile, relocate(graph, data.getFileName().toString(), 0));
        try (FileChannel out =
                FileChannel.open(
                        data,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
            long at = 0;
            for (External e : externals) {
                at = pad(out, at, e.offset());
                e.values().writeTo(out);
                at += e.values().bytes();
            }
        }
    }

    /**
     * The graph with every external tensor moved to {@code location}, its offset shifted by {@code
     * shift}: how a package's graph finds its weights once they are in a file of their own, or
     * still in the stream they arrived in.
     */
    public static byte[] relocate(byte[] graph, String location, long shift) {
        OnnxMl.ModelProto model;
        try {
            model = OnnxMl.ModelProto.parseFrom(graph);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
        }
        OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
        for (OnnxMl.TensorProto.Builder t : g.getInitializerBuilderList()) {
            if (t.getDataLocation() != OnnxMl.TensorProto.DataLocation.EXTERNAL) continue;
            for (OnnxMl.StringStringEntryProto.Builder entry : t.getExternalDataBuilderList()) {
                switch (entry.getKey()) {
                    case "location" -> entry.setValue(location);
                    case "offset" ->
                            entry.setValue(Long.toString(Long.parseLong(entry.getValue()) + shift));
                    default -> {}
                }
            }
        }
        return model.toBuilder().setGraph(g).build().toByteArray();
    }

    /** The largest constant ONNX Runtime folds without aborting the process (2 GiB - 1 bytes). */
    static final long FOLD_LIMIT_BYTES = Integer.MAX_VALUE;

    /** Elementwise operators of one input, whose folded output has the input's element count. */
    private static final java.util.Set<String> UNARY =
            java.util.Set.of(
                    "Cast",
                    "Identity",
                    "Neg",
                    "Abs",
                    "Relu",
                    "Sqrt",
                    "Exp",
                    "Log",
                    "Reciprocal",
                    "Sigmoid",
                    "Tanh",
                    "Floor",
                    "Ceil",
                    "Sign");

    /**
     * Why loading {@code model} would abort ONNX Runtime, or null: it folds an elementwise node of
     * a constant into one tensor when it loads a graph, and the process aborts (a failed C++
     * assertion, no exception) when that tensor has 2 GiB or more, so a version from a topic is
     * refused before it can take an encoder down with it.
     */
    public static String foldRefusal(OnnxMl.ModelProto model) {
        java.util.Map<String, OnnxMl.TensorProto> constants = new java.util.HashMap<>();
        for (OnnxMl.TensorProto t : model.getGraph().getInitializerList())
            constants.put(t.getName(), t);
        for (OnnxMl.NodeProto node : model.getGraph().getNodeList()) {
            if (!UNARY.contains(node.getOpType()) || node.getInputCount() != 1) continue;
            OnnxMl.TensorProto in = constants.get(node.getInput(0));
            if (in == null) continue;
            long elements = 1;
            for (long dim : in.getDimsList()) {
                if (dim < 0 || (dim > 0 && elements > Long.MAX_VALUE / dim))
                    return "node " + node.getName() + " folds a tensor of impossible shape";
                elements *= dim;
            }
            int type = in.getDataType();
            for (OnnxMl.AttributeProto a : node.getAttributeList())
                if (node.getOpType().equals("Cast") && a.getName().equals("to"))
                    type = (int) a.getI();
            long bytes = elementBytes(type);
            if (bytes > 0 && elements > FOLD_LIMIT_BYTES / bytes)
                return "node "
                        + node.getName()
                        + " ("
                        + node.getOpType()
                        + " of "
                        + in.getName()
                        + ") folds into a constant of "
                        + elements * bytes
                        + " bytes when ONNX Runtime loads the graph, which aborts the process from"
                        + " 2 GiB on; cut the tensor into blocks";
        }
        return null;
    }

    /**
     * Why {@code model}'s external data cannot be trusted, or null: only a package's own weights
     * may be referenced ({@value #WEIGHTS}, within its {@code weightsBytes}, exactly the tensor's
     * size), never another file, so a graph from a topic cannot make ONNX Runtime read the
     * machine's files.
     */
    public static String externalRefusal(OnnxMl.ModelProto model, long weightsBytes) {
        for (OnnxMl.TensorProto t : model.getGraph().getInitializerList()) {
            if (!external(t)) continue;
            String why = tensorRefusal(t, weightsBytes);
            if (why != null) return "tensor " + t.getName() + " " + why;
        }
        for (OnnxMl.NodeProto node : model.getGraph().getNodeList()) {
            for (OnnxMl.AttributeProto a : node.getAttributeList()) {
                if (a.hasT() && external(a.getT()))
                    return "node " + node.getName() + " references an external data file";
            }
        }
        return null;
    }

    /** Whether {@code t} keeps its data in a file rather than in the graph. */
    static boolean external(OnnxMl.TensorProto t) {
        return t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL
                || t.getExternalDataCount() > 0;
    }

    private static String tensorRefusal(OnnxMl.TensorProto t, long weightsBytes) {
        if (weightsBytes <= 0) return "references an external data file";
        String location = null;
        long offset = -1;
        long length = -1;
        try {
            for (OnnxMl.StringStringEntryProto e : t.getExternalDataList()) {
                switch (e.getKey()) {
                    case "location" -> location = e.getValue();
                    case "offset" -> offset = Long.parseLong(e.getValue());
                    case "length" -> length = Long.parseLong(e.getValue());
                    default -> {
                        return "has an unexpected external data key " + e.getKey();
                    }
                }
            }
        } catch (NumberFormatException e) {
            return "has an unreadable external data offset or length";
        }
        if (!WEIGHTS.equals(location))
            return "references the external file '" + location + "', not the package's weights";
        long expected = elementBytes(t.getDataType());
        for (long dim : t.getDimsList()) {
            if (dim < 0) return "has a negative dimension";
            expected = Math.multiplyHigh(expected, dim) != 0 ? -1 : expected * dim;
            if (expected < 0) return "is too large";
        }
        if (expected <= 0) return "has an element type external data cannot hold";
        if (offset < 0 || length != expected || offset > weightsBytes - length)
            return "lies outside the package's "
                    + weightsBytes
                    + " bytes of weights (offset "
                    + offset
                    + ", length "
                    + length
                    + ", its shape needs "
                    + expected
                    + ")";
        return null;
    }

    private static long elementBytes(int dataType) {
        OnnxMl.TensorProto.DataType type = OnnxMl.TensorProto.DataType.forNumber(dataType);
        if (type == null) return -1;
        return switch (type) {
            case FLOAT, INT32 -> 4;
            case DOUBLE, INT64 -> 8;
            case FLOAT16, BFLOAT16 -> 2;
            default -> -1;
        };
    }

    private static long pad(WritableByteChannel out, long at, long to) throws IOException {
        if (to < at) throw new IllegalStateException("tensor offsets overlap at " + at);
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(ALIGN, Math.max(0, to - at)));
        while (at < to) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), to - at));
            at += drainCount(zeros, out);
        }
        return at;
    }

    static void drain(ByteBuffer piece, WritableByteChannel out) throws IOException {
        piece.flip();
        drainCount(piece, out);
        piece.clear();
    }

    private static int drainCount(ByteBuffer piece, WritableByteChannel out) throws IOException {
        int n = piece.remaining();
        while (piece.hasRemaining()) out.write(piece);
        return n;
    }
}
