package dev.aenstream.produce.splice;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.aenstream.produce.transformer.HookPoints;
import java.util.List;

/**
 * Rewrites a language model so that a hooked tensor comes in from outside: every node that read the
 * hook reads a new float input {@code [batch, seq, width]} instead, so whatever is fed there (the
 * SAE's reconstruction, or zeros) flows through the rest of the model exactly as the hook's own
 * values would. Nodes that only computed the hook then feed nothing and ONNX Runtime drops them.
 */
final class HookSplice {
    /** Appended to the hook's name to name the input that replaces it. */
    static final String SUFFIX = "/aen.spliced";

    private HookSplice() {}

    /** The name of the input that replaces {@code hook}. */
    static String inputName(String hook) {
        return hook + SUFFIX;
    }

    /** The model with {@code hook} replaced by an input, computing {@code outputs}. */
    static ModelProto spliced(ModelProto model, String hook, List<String> outputs) {
        if (outputs.contains(hook))
            throw new IllegalArgumentException(
                    "hook '"
                            + hook
                            + "' is the model's output: nothing after it could show what the SAE"
                            + " loses; hook an earlier tensor (--list-hooks)");
        GraphProto graph = model.getGraph();
        String input = inputName(hook);
        GraphProto.Builder rewritten = graph.toBuilder().clearNode();
        int readers = 0;
        for (NodeProto node : graph.getNodeList()) {
            if (readsInSubgraph(node, hook))
                throw new IllegalArgumentException(
                        "hook '"
                                + hook
                                + "' is read inside a control-flow subgraph of node '"
                                + node.getName()
                                + "', which splicing does not rewrite; hook another tensor");
            NodeProto.Builder b = node.toBuilder();
            for (int i = 0; i < b.getInputCount(); i++) {
                if (b.getInput(i).equals(hook)) {
                    b.setInput(i, input);
                    readers++;
                }
            }
            rewritten.addNode(b);
        }
        if (readers == 0)
            throw new IllegalArgumentException(
                    "no node reads '" + hook + "': it cannot change the model's output");
        rewritten.addInput(
                ValueInfoProto.newBuilder()
                        .setName(input)
                        .setType(
                                TypeProto.newBuilder()
                                        .setTensorType(
                                                TypeProto.Tensor.newBuilder()
                                                        .setElemType(
                                                                TensorProto.DataType.FLOAT
                                                                        .getNumber())
                                                        .setShape(
                                                                TensorShapeProto.newBuilder()
                                                                        .addDim(dim("batch"))
                                                                        .addDim(dim("sequence"))
                                                                        .addDim(dim("width"))))));
        return HookPoints.withOutputs(model.toBuilder().setGraph(rewritten).build(), outputs);
    }

    private static TensorShapeProto.Dimension dim(String name) {
        return TensorShapeProto.Dimension.newBuilder().setDimParam("aen_" + name).build();
    }

    /** Whether a subgraph of {@code node} (If, Loop, Scan) names {@code tensor} from outside. */
    private static boolean readsInSubgraph(NodeProto node, String tensor) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.hasG() && reads(a.getG(), tensor)) return true;
            for (GraphProto g : a.getGraphsList()) if (reads(g, tensor)) return true;
        }
        return false;
    }

    private static boolean reads(GraphProto graph, String tensor) {
        for (NodeProto node : graph.getNodeList()) {
            if (node.getInputList().contains(tensor) || readsInSubgraph(node, tensor)) return true;
        }
        return false;
    }
}
