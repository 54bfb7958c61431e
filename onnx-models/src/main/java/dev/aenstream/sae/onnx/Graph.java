package dev.aenstream.sae.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * Builds an ONNX graph (opset {@value #OPSET}) one node at a time, in one element type for all its
 * real-valued tensors, so the same builder code gives a float32 graph to run and a float64 graph to
 * check against finite differences. Value names are generated; inputs and outputs keep theirs.
 */
public final class Graph {
    public static final int OPSET = 13;

    /** ONNX IR version written; ONNX Runtime 1.24 and onnx's checker accept it with opset 13. */
    static final int IR_VERSION = 8;

    /** Name of the symbolic leading dimension of batch inputs and outputs. */
    public static final String BATCH = "batch";

    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private final DataType real;
    private int counter;
    private String prefix = "";

    /** Float tensors of at least this many bytes become external data (never, unless told). */
    private long externalFrom = Long.MAX_VALUE;

    private final java.util.List<OnnxPackage.External> externals = new java.util.ArrayList<>();
    private final Map<String, String> metadata = new java.util.LinkedHashMap<>();

    /** Values written by this builder's nodes, not yet renamed to an output. */
    private final java.util.Set<String> ownValues = new java.util.HashSet<>();

    /** Values renamed to the output they became, so later references find them. */
    private final Map<String, String> renamed = new java.util.HashMap<>();

    private long weightsBytes;

    public Graph(String name, DataType real) {
        if (real != DataType.FLOAT && real != DataType.DOUBLE) {
            throw new IllegalArgumentException("graphs compute in FLOAT or DOUBLE, not " + real);
        }
        this.real = real;
        graph.setName(name);
    }

    /**
     * Continues an existing float graph (an encoder exported elsewhere); new value names start with
     * {@code aen_}.
     */
    public static Graph extend(OnnxMl.GraphProto base) {
        Graph g = new Graph(base.getName().isEmpty() ? "imported" : base.getName(), DataType.FLOAT);
        g.graph.mergeFrom(base);
        g.prefix = "aen_";
        return g;
    }

    /** The graph as built so far. */
    public OnnxMl.GraphProto graph() {
        return graph.build();
    }

    public DataType real() {
        return real;
    }

    /** A real-valued input; a dimension of -1 is the symbolic batch size. */
    public String input(String name, long... dims) {
        return input(name, real, dims);
    }

    public String input(String name, DataType type, long... dims) {
        graph.addInput(valueInfo(name, type, dims));
        return name;
    }

    /**
     * Declares {@code value} as a graph output called {@code name}. A value this builder's nodes
     * produced is renamed in place, its consumers with it: an Identity would cost a copy per run
     * wherever ONNX Runtime cannot remove it (a value other nodes read too, such as Adam's
     * moments). Inputs, constants, imported values and values already an output get the Identity.
     */
    public void output(String value, String name, DataType type, long... dims) {
        String produced = resolve(value);
        if (!produced.equals(name)) {
            if (ownValues.contains(produced)) rename(produced, name);
            else
                graph.addNode(
                        OnnxMl.NodeProto.newBuilder()
                                .setOpType("Identity")
                                .addInput(produced)
                                .addOutput(name)
                                .setName(name));
        }
        graph.addOutput(valueInfo(name, type, dims));
    }

    private String resolve(String value) {
        return renamed.getOrDefault(value, value);
    }

    /** Renames {@code from} wherever a node writes or reads it; later references follow. */
    private void rename(String from, String to) {
        for (OnnxMl.NodeProto.Builder node : graph.getNodeBuilderList()) {
            for (int i = 0; i < node.getOutputCount(); i++)
                if (node.getOutput(i).equals(from)) node.setOutput(i, to);
            for (int i = 0; i < node.getInputCount(); i++)
                if (node.getInput(i).equals(from)) node.setInput(i, to);
        }
        renamed.put(from, to);
        ownValues.remove(from);
    }

    public void output(String value, String name, long... dims) {
        output(value, name, real, dims);
    }

    /** A real-valued scalar constant. */
    public String scalar(double value) {
        return tensor(fresh("c"), new double[] {value});
    }

    /** A real-valued constant tensor of the given shape. */
    public String tensor(String name, double[] values, long... dims) {
        OnnxMl.TensorProto.Builder t =
                OnnxMl.TensorProto.newBuilder().setName(name).setDataType(real.getNumber());
        for (long d : dims) t.addDims(d);
        ByteBuffer bytes =
                ByteBuffer.allocate(values.length * (real == DataType.FLOAT ? 4 : 8))
                        .order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            if (real == DataType.FLOAT) bytes.putFloat((float) v);
            else bytes.putDouble(v);
        }
        graph.addInitializer(t.setRawData(ByteString.copyFrom(bytes.flip())));
        return name;
    }

    /**
     * Float constants of at least {@code bytes} bytes become external data of the {@link
     * #packaged()} model from now on.
     */
    public Graph externalFrom(long bytes) {
        this.externalFrom = bytes;
        return this;
    }

    /** A float32 constant tensor (weights baked into an encoder). */
    public String floats(String name, float[] values, long... dims) {
        return weights(name, TensorValues.of(values), dims);
    }

    private String external(String name, TensorValues values, DataType type, long... dims) {
        long offset = OnnxPackage.weightsStart(weightsBytes);
        OnnxMl.TensorProto.Builder t =
                OnnxMl.TensorProto.newBuilder()
                        .setName(name)
                        .setDataType(type.getNumber())
                        .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(OnnxPackage.entry("location", OnnxPackage.WEIGHTS))
                        .addExternalData(OnnxPackage.entry("offset", Long.toString(offset)))
                        .addExternalData(
                                OnnxPackage.entry("length", Long.toString(values.bytes())));
        for (long d : dims) t.addDims(d);
        graph.addInitializer(t);
        externals.add(new OnnxPackage.External(name, offset, values));
        weightsBytes = offset + values.bytes();
        return name;
    }

    /**
     * A float32 constant given as values to write: external data when it reaches the {@link
     * #externalFrom} size, else inside the graph.
     */
    public String weights(String name, TensorValues values, long... dims) {
        return weights(name, values, WeightPrecision.FLOAT32, dims);
    }

    /**
     * float32 {@code values} stored in {@code precision}; for float16 and bfloat16 the graph casts
     * them to float32, and the returned name is the cast's.
     */
    public String weights(
            String name, TensorValues values, WeightPrecision precision, long... dims) {
        if (precision == WeightPrecision.FLOAT32) return stored(name, values, precision, dims);
        return op(
                "Cast",
                Map.of("to", (long) DataType.FLOAT.getNumber()),
                stored(name, values, precision, dims));
    }

    /**
     * float32 {@code values} stored in {@code precision} for no node to use (named {@code
     * name.float16} or {@code name.bfloat16} when narrowed); returns the stored tensor's name.
     */
    public String stored(
            String name, TensorValues values, WeightPrecision precision, long... dims) {
        String stored =
                precision == WeightPrecision.FLOAT32 ? name : name + "." + precision.label();
        TensorValues narrow = values.in(precision);
        if (narrow.bytes() >= externalFrom) return external(stored, narrow, precision.type(), dims);
        return inline(stored, narrow, precision.type(), dims);
    }

    private String inline(String name, TensorValues values, DataType type, long... dims) {
        var bytes = new java.io.ByteArrayOutputStream((int) values.bytes());
        try {
            values.writeTo(java.nio.channels.Channels.newChannel(bytes));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        OnnxMl.TensorProto.Builder t =
                OnnxMl.TensorProto.newBuilder()
                        .setName(name)
                        .setDataType(type.getNumber())
                        .setRawData(ByteString.copyFrom(bytes.toByteArray()));
        for (long d : dims) t.addDims(d);
        graph.addInitializer(t);
        return name;
    }

    /** The model with its external tensors beside it. */
    public OnnxPackage packaged() {
        return new OnnxPackage(model().toByteArray(), externals);
    }

    /** An int64 constant vector (axes, shapes, k). */
    public String longs(long... values) {
        String name = fresh("i");
        OnnxMl.TensorProto.Builder t =
                OnnxMl.TensorProto.newBuilder()
                        .setName(name)
                        .setDataType(DataType.INT64.getNumber())
                        .addDims(values.length);
        for (long v : values) t.addInt64Data(v);
        graph.addInitializer(t);
        return name;
    }

    /** An int64 scalar constant (an index for Gather). */
    public String longScalar(long value) {
        String name = fresh("i");
        graph.addInitializer(
                OnnxMl.TensorProto.newBuilder()
                        .setName(name)
                        .setDataType(DataType.INT64.getNumber())
                        .addInt64Data(value));
        return name;
    }

    /** A node with one output and no attributes. */
    public String op(String type, String... inputs) {
        return op(type, Map.of(), inputs);
    }

    /** A node with one output. Attribute values: Long, long[], Double, String. */
    public String op(String type, Map<String, Object> attributes, String... inputs) {
        return ops(1, type, attributes, inputs)[0];
    }

    /** A node with several outputs. */
    public String[] ops(
            int outputs, String type, Map<String, Object> attributes, String... inputs) {
        OnnxMl.NodeProto.Builder node =
                OnnxMl.NodeProto.newBuilder().setOpType(type).setName(fresh(type));
        for (String in : inputs) node.addInput(resolve(in));
        String[] names = new String[outputs];
        for (int i = 0; i < outputs; i++) {
            names[i] = fresh(type.toLowerCase());
            node.addOutput(names[i]);
            ownValues.add(names[i]);
        }
        attributes.forEach((k, v) -> node.addAttribute(attribute(k, v)));
        graph.addNode(node);
        return names;
    }

    // Shorthands for the operators the SAE graphs use most.
    public String add(String a, String b) {
        return op("Add", a, b);
    }

    public String sub(String a, String b) {
        return op("Sub", a, b);
    }

    public String mul(String a, String b) {
        return op("Mul", a, b);
    }

    public String div(String a, String b) {
        return op("Div", a, b);
    }

    public String sqrt(String a) {
        return op("Sqrt", a);
    }

    /** Sum over {@code axes}; keepdims as given. */
    public String sum(String x, boolean keepDims, long... axes) {
        return op("ReduceSum", Map.of("keepdims", keepDims ? 1L : 0L), x, longs(axes));
    }

    /** Sum of squares over {@code axes} (all axes when none are given). */
    public String sumSquares(String x, boolean keepDims, long... axes) {
        return op(
                "ReduceSumSquare",
                axes.length == 0
                        ? Map.of("keepdims", keepDims ? 1L : 0L)
                        : Map.of("keepdims", keepDims ? 1L : 0L, "axes", axes),
                x);
    }

    /** Casts a boolean or integer tensor to this graph's real type. */
    public String toReal(String x) {
        return op("Cast", Map.of("to", (long) real.getNumber()), x);
    }

    /**
     * The model; its external tensors, if any, have no values in it ({@link #packaged()} has them).
     */
    public OnnxMl.ModelProto model() {
        OnnxMl.ModelProto.Builder model = OnnxMl.ModelProto.newBuilder();
        metadata.forEach((key, value) -> model.addMetadataProps(OnnxPackage.entry(key, value)));
        return model.setIrVersion(IR_VERSION)
                .setProducerName("aen-stream")
                .setDomain("dev.aenstream")
                .setModelVersion(1)
                .addOpsetImport(
                        OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph)
                .build();
    }

    /** Sets one of the model's metadata properties, which say how it was built. */
    public Graph metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    private String fresh(String base) {
        return prefix + base + "_" + counter++;
    }

    private static AttributeProto attribute(String name, Object value) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name);
        if (value instanceof Long l) {
            a.setType(AttributeProto.AttributeType.INT).setI(l);
        } else if (value instanceof Integer i) {
            a.setType(AttributeProto.AttributeType.INT).setI(i);
        } else if (value instanceof long[] ls) {
            a.setType(AttributeProto.AttributeType.INTS);
            for (long l : ls) a.addInts(l);
        } else if (value instanceof Double d) {
            a.setType(AttributeProto.AttributeType.FLOAT).setF(d.floatValue());
        } else if (value instanceof String s) {
            a.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
        } else {
            throw new IllegalArgumentException(
                    "unsupported attribute " + name + " of " + value.getClass());
        }
        return a.build();
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, DataType type, long... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(
                    d < 0
                            ? OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH)
                            : OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return OnnxMl.ValueInfoProto.newBuilder()
                .setName(name)
                .setType(
                        OnnxMl.TypeProto.newBuilder()
                                .setTensorType(
                                        OnnxMl.TypeProto.Tensor.newBuilder()
                                                .setElemType(type.getNumber())
                                                .setShape(shape)))
                .build();
    }
}
