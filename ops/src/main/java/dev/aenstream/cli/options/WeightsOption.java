package dev.aenstream.cli.options;

import dev.aenstream.sae.onnx.WeightPrecision;
import picocli.CommandLine.Option;

/** {@code --weights}: the element type an encoder's weight matrices are stored in. */
public final class WeightsOption {
    @Option(
            names = "--weights",
            paramLabel = "TYPE",
            description =
                    "Element type of the encoder's weight matrices: float32, or float16 or"
                            + " bfloat16 for half the bytes on the models topic and on disk, cast"
                            + " to float32 in the graph (on the CPU ONNX Runtime does that once,"
                            + " when it loads the graph) (default: float32).")
    String weights = WeightPrecision.FLOAT32.label();

    public WeightPrecision weights() {
        return WeightPrecision.parse(weights);
    }
}
