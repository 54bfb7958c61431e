package dev.aenstream.sae.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import org.junit.jupiter.api.Test;

/**
 * Admission of a graph from the models topic looks everywhere a tensor or an operator can hide:
 * subgraphs of node attributes, functions, sparse initializers and tensor-list attributes, and
 * allows only the operators aen's own encoder graphs use. On main only the top-level initializers
 * and single-tensor attributes were checked for external data, and any operator passed: a graph
 * could make ONNX Runtime read a file of the encoder's disk through an If node's branch.
 */
class GraphAuditTest {
    private static final int N = 6;
    private static final int D = 10;

    @Test
    void aensOwnEncoderGraphsPass() throws Exception {
        SaeParameters p = SaeParameters.initialise(N, D, 1);
        EncoderGraph.Weights weights = EncoderGraph.Weights.of(p).withDecoder(SaeDecoder.of(p));
        for (Activation activation : Activation.ALL)
            for (boolean normalise : new boolean[] {false, true})
                for (WeightPrecision precision : WeightPrecision.values()) {
                    EncoderSpec spec =
                            new EncoderSpec(4, normalise, activation).withWeights(precision);
                    EncoderGraph.Weights w =
                            activation == Activation.JUMP_RELU
                                    ? weights.withThreshold(new float[D])
                                    : weights;
                    OnnxPackage packaged = EncoderGraph.packaged(w, spec, "g");
                    assertThat(
                                    GraphAudit.refusal(
                                            OnnxMl.ModelProto.parseFrom(packaged.graph()),
                                            packaged.weightsBytes()))
                            .as("%s", spec)
                            .isNull();
                }
    }

    @Test
    void externalDataIsFoundWhereverItHides() {
        OnnxMl.TensorProto external =
                OnnxMl.TensorProto.newBuilder()
                        .setName("stolen")
                        .setDataType(1)
                        .addDims(4)
                        .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(
                                OnnxMl.StringStringEntryProto.newBuilder()
                                        .setKey("location")
                                        .setValue("/etc/shadow"))
                        .build();
        OnnxMl.ModelProto own =
                EncoderGraph.build(
                        SaeParameters.initialise(N, D, 1), new EncoderSpec(4, false), "g");

        OnnxMl.GraphProto branch = OnnxMl.GraphProto.newBuilder().addInitializer(external).build();
        OnnxMl.NodeProto withBranch =
                OnnxMl.NodeProto.newBuilder()
                        .setOpType("Relu")
                        .setName("branchy")
                        .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("g").setG(branch))
                        .build();
        assertThat(GraphAudit.refusal(withNode(own, withBranch), 0)).contains("/etc/shadow");

        OnnxMl.NodeProto withList =
                OnnxMl.NodeProto.newBuilder()
                        .setOpType("Relu")
                        .setName("listy")
                        .addAttribute(
                                OnnxMl.AttributeProto.newBuilder()
                                        .setName("ts")
                                        .addTensors(external))
                        .build();
        assertThat(GraphAudit.refusal(withNode(own, withList), 0)).contains("/etc/shadow");

        OnnxMl.ModelProto sparse =
                own.toBuilder()
                        .setGraph(
                                own.getGraph().toBuilder()
                                        .addSparseInitializer(
                                                OnnxMl.SparseTensorProto.newBuilder()
                                                        .setValues(external)
                                                        .setIndices(external)))
                        .build();
        assertThat(GraphAudit.refusal(sparse, 0)).contains("/etc/shadow");

        OnnxMl.ModelProto function =
                own.toBuilder()
                        .addFunctions(
                                OnnxMl.FunctionProto.newBuilder()
                                        .setName("f")
                                        .setDomain("evil")
                                        .addNode(withList))
                        .build();
        assertThat(GraphAudit.refusal(function, 0)).isNotNull();
    }

    @Test
    void onlyTheOperatorsOfAensGraphsAreAllowed() {
        OnnxMl.ModelProto own =
                EncoderGraph.build(
                        SaeParameters.initialise(N, D, 1), new EncoderSpec(4, false), "g");
        OnnxMl.NodeProto loop =
                OnnxMl.NodeProto.newBuilder().setOpType("Loop").setName("l").build();
        assertThat(GraphAudit.refusal(withNode(own, loop), 0)).contains("Loop");
        OnnxMl.NodeProto custom =
                OnnxMl.NodeProto.newBuilder()
                        .setOpType("Relu")
                        .setDomain("com.example")
                        .setName("c")
                        .build();
        assertThat(GraphAudit.refusal(withNode(own, custom), 0)).contains("com.example");
    }

    private static OnnxMl.ModelProto withNode(OnnxMl.ModelProto m, OnnxMl.NodeProto node) {
        return m.toBuilder().setGraph(m.getGraph().toBuilder().addNode(node)).build();
    }
}
