package dev.aenstream.produce.transformer;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the residual stream in an exported transformer graph and rewrites the graph so that chosen
 * intermediate tensors become outputs.
 *
 * <p>The residual stream is recognised by its shape in the graph, not by names, so it works for any
 * exporter: a residual connection is an {@code Add} one of whose inputs is an ancestor of the other
 * (the block's input skips over the block). That input is a block input, the {@code Add}'s output a
 * residual sum; pre-norm (GPT-2, NeoX, Llama) and post-norm (BERT) models both fit.
 */
public final class HookPoints {
    /** What a candidate tensor is in the residual stream. */
    public enum Kind {
        BLOCK_INPUT("residual stream, read by the next block"),
        RESIDUAL_SUM("residual sum (block input + block output)"),
        MODEL_OUTPUT("model output");

        private final String description;

        Kind(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /** A candidate tensor, in graph order. */
    public record Candidate(String name, Kind kind) {}

    private HookPoints() {}

    /** Residual-stream candidates in the order the graph computes them. */
    public static List<Candidate> candidates(GraphProto graph) {
        Map<String, Integer> producerIndex = new HashMap<>();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            for (String out : graph.getNode(i).getOutputList()) producerIndex.put(out, i);
        }
        Set<String> constants = constants(graph);
        Map<String, Kind> found = new LinkedHashMap<>();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto node = graph.getNode(i);
            if (!node.getOpType().equals("Add") || node.getInputCount() != 2) continue;
            String a = node.getInput(0);
            String b = node.getInput(1);
            if (constants.contains(a) || constants.contains(b)) continue;
            String skip =
                    isAncestor(graph, producerIndex, a, b)
                            ? a
                            : isAncestor(graph, producerIndex, b, a) ? b : null;
            if (skip == null) continue;
            if (producerIndex.containsKey(skip)) found.putIfAbsent(skip, Kind.BLOCK_INPUT);
            found.put(node.getOutput(0), Kind.RESIDUAL_SUM);
        }
        for (ValueInfoProto out : graph.getOutputList())
            found.putIfAbsent(out.getName(), Kind.MODEL_OUTPUT);
        List<Candidate> ordered = new ArrayList<>();
        found.forEach((name, kind) -> ordered.add(new Candidate(name, kind)));
        ordered.sort(
                java.util.Comparator.comparingInt(c -> producerIndex.getOrDefault(c.name(), -1)));
        return ordered;
    }

    /** Whether {@code ancestor} is computed on the way to {@code tensor}. */
    private static boolean isAncestor(
            GraphProto graph, Map<String, Integer> producerIndex, String ancestor, String tensor) {
        // ONNX nodes are topologically sorted, so nothing before the ancestor's producer can lead
        // to it.
        int floor = producerIndex.getOrDefault(ancestor, -1);
        Deque<String> work = new ArrayDeque<>(List.of(tensor));
        Set<String> seen = new HashSet<>();
        while (!work.isEmpty()) {
            String t = work.pop();
            if (t.equals(ancestor)) return true;
            Integer p = producerIndex.get(t);
            if (p == null || p < floor || !seen.add(t)) continue;
            work.addAll(graph.getNode(p).getInputList());
        }
        return false;
    }

    /** Initialisers, Constant nodes and everything computed from them alone. */
    private static Set<String> constants(GraphProto graph) {
        Set<String> constants = new HashSet<>();
        for (TensorProto t : graph.getInitializerList()) constants.add(t.getName());
        Set<String> graphInputs = new HashSet<>();
        for (ValueInfoProto in : graph.getInputList()) graphInputs.add(in.getName());
        constants.removeAll(graphInputs); // an initialiser that is also an input can be overridden
        for (NodeProto node : graph.getNodeList()) {
            boolean allConstant =
                    node.getInputList().stream()
                            .allMatch(in -> in.isEmpty() || constants.contains(in));
            if (allConstant) constants.addAll(node.getOutputList());
        }
        return constants;
    }

    /**
     * The model with exactly {@code names} as its outputs: ONNX Runtime then prunes whatever the
     * hooks do not need (a hook in the middle of the model costs half a forward pass, not a whole
     * one).
     */
    public static ModelProto withOutputs(ModelProto model, Collection<String> names) {
        GraphProto graph = model.getGraph();
        Map<String, ValueInfoProto> known = new HashMap<>();
        for (ValueInfoProto info : graph.getValueInfoList()) known.put(info.getName(), info);
        for (ValueInfoProto out : graph.getOutputList()) known.put(out.getName(), out);
        Set<String> produced = new HashSet<>();
        for (NodeProto node : graph.getNodeList()) produced.addAll(node.getOutputList());
        GraphProto.Builder rewritten = graph.toBuilder().clearOutput();
        for (String name : names) {
            if (!produced.contains(name)) {
                throw new IllegalArgumentException(
                        "the model computes no tensor named '"
                                + name
                                + "' (--list-hooks shows the candidates)");
            }
            ValueInfoProto info = known.get(name);
            // Without a recorded type, declare float and leave the shape to ONNX Runtime's
            // inference.
            rewritten.addOutput(
                    info != null
                            ? info
                            : ValueInfoProto.newBuilder()
                                    .setName(name)
                                    .setType(
                                            TypeProto.newBuilder()
                                                    .setTensorType(
                                                            TypeProto.Tensor.newBuilder()
                                                                    .setElemType(
                                                                            TensorProto.DataType
                                                                                    .FLOAT
                                                                                    .getNumber())))
                                    .build());
        }
        return model.toBuilder().setGraph(rewritten).build();
    }

    /**
     * "layer 3" when the tensor's name carries a layer index in one of the usual spellings, else
     * "".
     */
    public static String layerOf(String name) {
        java.util.regex.Matcher m = LAYER.matcher(name);
        return m.find() ? "layer " + m.group(1) : "";
    }

    private static final java.util.regex.Pattern LAYER =
            java.util.regex.Pattern.compile("(?:layers?|h|blocks?)[._/](\\d+)(?:[._/]|$)");
}
