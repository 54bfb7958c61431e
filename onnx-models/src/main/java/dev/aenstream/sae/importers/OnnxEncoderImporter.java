package dev.aenstream.sae.importers;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.aenstream.sae.onnx.EncoderGraph;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * Runs an SAE encoder exported from PyTorch (one input [rows, n], one output of dense codes [rows,
 * D]) as it is: its graph is kept and our sparse outputs are appended, so it plugs into the
 * encoders like our own graphs.
 */
public final class OnnxEncoderImporter {
    private OnnxEncoderImporter() {}

    /** A wrapped encoder: model bytes following {@link EncoderGraph}'s names, with its widths. */
    public record Wrapped(byte[] model, int n, int d, int kMax) {}

    public static Wrapped wrap(byte[] exported, int kMax) throws IOException {
        OnnxMl.ModelProto model;
        try {
            model = OnnxMl.ModelProto.parseFrom(exported);
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("not an ONNX model: " + e.getMessage(), e);
        }
        OnnxMl.GraphProto graph = model.getGraph();
        Set<String> initializers = new HashSet<>();
        graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
        var inputs =
                graph.getInputList().stream()
                        .filter(i -> !initializers.contains(i.getName()))
                        .toList();
        if (inputs.size() != 1 || graph.getOutputCount() != 1) {
            throw new IOException(
                    "an imported encoder needs one input [rows, n] and one output [rows, D]; this"
                            + " one has "
                            + inputs.size()
                            + " inputs and "
                            + graph.getOutputCount()
                            + " outputs");
        }
        int n = width(inputs.get(0), "input");
        int d = width(graph.getOutput(0), "output");
        long opset =
                model.getOpsetImportList().stream()
                        .filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                        .mapToLong(OnnxMl.OperatorSetIdProto::getVersion)
                        .max()
                        .orElse(0);
        if (opset < 13)
            throw new IOException(
                    "the encoder uses opset " + opset + "; export it with opset_version >= 13");

        String inputName = inputs.get(0).getName();
        String codes = graph.getOutput(0).getName();
        OnnxMl.GraphProto.Builder renamed = graph.toBuilder().clearOutput();
        for (int i = 0; i < renamed.getInputCount(); i++) {
            if (renamed.getInput(i).getName().equals(inputName)) {
                renamed.setInput(i, renamed.getInput(i).toBuilder().setName(EncoderGraph.INPUT));
            }
        }
        for (OnnxMl.NodeProto.Builder node : renamed.getNodeBuilderList()) {
            for (int i = 0; i < node.getInputCount(); i++) {
                if (node.getInput(i).equals(inputName)) node.setInput(i, EncoderGraph.INPUT);
            }
        }
        OnnxMl.GraphProto wrapped =
                EncoderGraph.appendSparseOutputs(renamed.build(), codes, Math.min(kMax, d));
        byte[] bytes = model.toBuilder().setGraph(wrapped).build().toByteArray();
        return new Wrapped(bytes, n, d, Math.min(kMax, d));
    }

    private static int width(OnnxMl.ValueInfoProto value, String what) throws IOException {
        var shape = value.getType().getTensorType().getShape();
        if (shape.getDimCount() != 2 || !shape.getDim(1).hasDimValue()) {
            throw new IOException(
                    "the encoder's "
                            + what
                            + " '"
                            + value.getName()
                            + "' must be [rows, fixed width], is "
                            + shape);
        }
        return Math.toIntExact(shape.getDim(1).getDimValue());
    }
}
