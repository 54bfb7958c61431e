package dev.aenstream.sae.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.OrtSessions;
import java.nio.FloatBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A graph output that other nodes read too (Adam's moments in the training step) is the producing
 * node's own output, not an Identity's: ONNX Runtime cannot remove such an Identity, so each one
 * copied its tensor on every step.
 */
class GraphTest {
    @Test
    void anOutputOtherNodesReadIsRenamedNotCopied() throws Exception {
        Graph g = new Graph("g", DataType.FLOAT);
        String x = g.input("x", 3);
        String square = g.mul(x, x);
        String sum = g.add(square, x);
        g.output(square, "square", 3);
        g.output(sum, "sum", 3);
        // Read after it became an output, and declared a second time under another name.
        g.output(g.mul(square, g.scalar(2)), "twice", 3);
        g.output(square, "again", 3);
        g.output(x, "echo", 3);
        OnnxMl.ModelProto model = g.model();

        assertThat(model.getGraph().getNodeList())
                .filteredOn(n -> n.getOpType().equals("Identity"))
                .extracting(n -> n.getOutput(0))
                .as("only a second name and an input need a copy")
                .containsExactlyInAnyOrder("again", "echo");

        OrtEnvironment env = OrtSessions.environment();
        try (OrtSessions.Opened opened = OrtSessions.open(model.toByteArray(), Device.CPU, 1);
                OnnxTensor in =
                        OnnxTensor.createTensor(
                                env, FloatBuffer.wrap(new float[] {1, 2, -3}), new long[] {3});
                OrtSession.Result out = opened.session().run(Map.of("x", in))) {
            assertThat(values(out, "square")).containsExactly(1, 4, 9);
            assertThat(values(out, "sum")).containsExactly(2, 6, 6);
            assertThat(values(out, "twice")).containsExactly(2, 8, 18);
            assertThat(values(out, "again")).containsExactly(1, 4, 9);
            assertThat(values(out, "echo")).containsExactly(1, 2, -3);
        }
    }

    private static float[] values(OrtSession.Result out, String name) throws Exception {
        return (float[]) ((OnnxTensor) out.get(name).orElseThrow()).getValue();
    }
}
