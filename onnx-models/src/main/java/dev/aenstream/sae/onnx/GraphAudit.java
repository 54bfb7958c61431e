package dev.aenstream.sae.onnx;

import ai.onnx.proto.OnnxMl;
import java.util.Set;

/**
 * Admission of an ONNX graph from a topic: every tensor, wherever it hides (initializers, sparse
 * initializers, node attributes and their lists, subgraphs of attributes, functions), holds its
 * data itself, but for the main graph's initializers, which may reference the package's own weights
 * ({@link OnnxPackage#externalRefusal}); and every node is an operator of the default domain that
 * aen's encoder graphs use, so no control flow, custom operator or function runs.
 */
public final class GraphAudit {
    /** The operators aen's encoder graphs (trained, imported or converted) are made of. */
    static final Set<String> OPERATORS =
            Set.of(
                    "Abs",
                    "Add",
                    "And",
                    "Cast",
                    "Ceil",
                    "Concat",
                    "Div",
                    "Exp",
                    "Floor",
                    "Gather",
                    "Gemm",
                    "Greater",
                    "GreaterOrEqual",
                    "Identity",
                    "IsInf",
                    "IsNaN",
                    "Log",
                    "MatMul",
                    "Max",
                    "Mul",
                    "Neg",
                    "Not",
                    "Or",
                    "Pow",
                    "Reciprocal",
                    "ReduceMax",
                    "ReduceMean",
                    "ReduceMin",
                    "ReduceSum",
                    "ReduceSumSquare",
                    "Relu",
                    "Shape",
                    "Sigmoid",
                    "Sign",
                    "Softplus",
                    "Sqrt",
                    "Squeeze",
                    "Sub",
                    "Tanh",
                    "TopK",
                    "Unsqueeze",
                    "Where");

    private GraphAudit() {}

    /**
     * Why {@code model} must not be loaded, or null: a tensor anywhere that reads a file (beyond
     * the package's own {@code weightsBytes} of weights), a function, or an operator outside {@link
     * #OPERATORS}.
     */
    public static String refusal(OnnxMl.ModelProto model, long weightsBytes) {
        String external = OnnxPackage.externalRefusal(model, weightsBytes);
        if (external != null) return external;
        if (model.getFunctionsCount() > 0) {
            for (OnnxMl.FunctionProto f : model.getFunctionsList())
                for (OnnxMl.NodeProto node : f.getNodeList()) {
                    String why = node(node);
                    if (why != null) return "function " + f.getName() + ": " + why;
                }
            return "it defines functions ("
                    + model.getFunctions(0).getName()
                    + "), which aen's"
                    + " graphs never do";
        }
        return graph(model.getGraph(), true);
    }

    private static String graph(OnnxMl.GraphProto g, boolean main) {
        if (!main)
            for (OnnxMl.TensorProto t : g.getInitializerList()) {
                String why = tensor(t);
                if (why != null) return why;
            }
        for (OnnxMl.SparseTensorProto s : g.getSparseInitializerList()) {
            String why = sparse(s);
            if (why != null) return why;
        }
        for (OnnxMl.NodeProto node : g.getNodeList()) {
            String why = node(node);
            if (why != null) return why;
        }
        return null;
    }

    private static String node(OnnxMl.NodeProto node) {
        for (OnnxMl.AttributeProto a : node.getAttributeList()) {
            String why = attribute(a);
            if (why != null) return "node " + node.getName() + ": " + why;
        }
        String domain = node.getDomain();
        if (!domain.isEmpty() && !domain.equals("ai.onnx"))
            return "node "
                    + node.getName()
                    + " is an operator of domain '"
                    + domain
                    + "', not of ONNX's own";
        if (!OPERATORS.contains(node.getOpType()))
            return "node "
                    + node.getName()
                    + " is a "
                    + node.getOpType()
                    + ", an operator aen's encoder graphs never use";
        return null;
    }

    private static String attribute(OnnxMl.AttributeProto a) {
        if (a.hasT()) {
            String why = tensor(a.getT());
            if (why != null) return why;
        }
        for (OnnxMl.TensorProto t : a.getTensorsList()) {
            String why = tensor(t);
            if (why != null) return why;
        }
        if (a.hasSparseTensor()) {
            String why = sparse(a.getSparseTensor());
            if (why != null) return why;
        }
        for (OnnxMl.SparseTensorProto s : a.getSparseTensorsList()) {
            String why = sparse(s);
            if (why != null) return why;
        }
        if (a.hasG()) {
            String why = graph(a.getG(), false);
            if (why != null) return why;
        }
        for (OnnxMl.GraphProto g : a.getGraphsList()) {
            String why = graph(g, false);
            if (why != null) return why;
        }
        return null;
    }

    private static String sparse(OnnxMl.SparseTensorProto s) {
        String why = tensor(s.getValues());
        return why != null ? why : tensor(s.getIndices());
    }

    /** Why a tensor outside the main graph's initializers cannot be taken: any external data. */
    private static String tensor(OnnxMl.TensorProto t) {
        if (!OnnxPackage.external(t)) return null;
        String location = "";
        for (OnnxMl.StringStringEntryProto e : t.getExternalDataList())
            if (e.getKey().equals("location")) location = " '" + e.getValue() + "'";
        return "tensor " + t.getName() + " references the external file" + location;
    }
}
