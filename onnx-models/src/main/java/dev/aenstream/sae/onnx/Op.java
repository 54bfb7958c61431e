package dev.aenstream.sae.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.tribuo.util.onnx.ONNXAttribute;
import org.tribuo.util.onnx.ONNXOperator;

/**
 * The ONNX operators (opset {@value #OPSET}) our graphs use that Tribuo's {@code ONNXOperators} does not
 * define; together they build graphs through Tribuo's {@code ONNXContext}.
 */
public enum Op implements ONNXOperator {
    MATMUL("MatMul", 2, 1),
    RELU("Relu", 1, 1),
    SQRT("Sqrt", 1, 1),
    ABS("Abs", 1, 1),
    MAX("Max", 2, 1),
    MIN("Min", 2, 1),
    TRANSPOSE("Transpose", 1, 1, attr("perm", AttributeType.INTS)),
    TOPK("TopK", 2, 2, attr("axis", AttributeType.INT), attr("largest", AttributeType.INT), attr("sorted", AttributeType.INT)),
    REDUCE_SUM_SQUARE("ReduceSumSquare", 1, 1, attr("axes", AttributeType.INTS), attr("keepdims", AttributeType.INT)),
    REDUCE_MAX("ReduceMax", 1, 1, attr("axes", AttributeType.INTS), attr("keepdims", AttributeType.INT)),
    REDUCE_SUM("ReduceSum", 2, 1, attr("keepdims", AttributeType.INT));

    /** The opset every graph we build declares. */
    public static final int OPSET = 13;

    private final String opName;
    private final int numInputs;
    private final int numOutputs;
    private final Map<String, ONNXAttribute> attributes;

    Op(String opName, int numInputs, int numOutputs, ONNXAttribute... attributes) {
        this.opName = opName;
        this.numInputs = numInputs;
        this.numOutputs = numOutputs;
        Map<String, ONNXAttribute> map = new LinkedHashMap<>();
        for (ONNXAttribute a : attributes) map.put(a.getName(), a);
        this.attributes = Collections.unmodifiableMap(map);
    }

    private static ONNXAttribute attr(String name, AttributeType type) {
        return new ONNXAttribute(name, type, false);
    }

    @Override public String getOpName() { return opName; }
    @Override public int getNumInputs() { return numInputs; }
    @Override public int getNumOptionalInputs() { return 0; }
    @Override public int getNumOutputs() { return numOutputs; }
    @Override public Map<String, ONNXAttribute> getAttributes() { return attributes; }
    @Override public int getOpVersion() { return OPSET; }
    @Override public String getOpDomain() { return ""; }

    @Override
    public Set<String> getMandatoryAttributeNames() {
        return attributes.values().stream().filter(ONNXAttribute::isMandatory).map(ONNXAttribute::getName)
                .collect(Collectors.toUnmodifiableSet());
    }
}
