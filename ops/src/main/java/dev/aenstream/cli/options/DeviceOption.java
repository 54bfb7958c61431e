package dev.aenstream.cli.options;

import dev.aenstream.sae.runtime.Device;
import picocli.CommandLine.Option;

/** {@code --device}: where ONNX Runtime runs. */
public final class DeviceOption {
    @Option(
            names = "--device",
            paramLabel = "DEVICE",
            description =
                    "ONNX Runtime device: auto (CUDA when its provider loads, else CPU), cpu or"
                            + " cuda (default: ${DEFAULT-VALUE}).")
    String device = Device.AUTO.name().toLowerCase(java.util.Locale.ROOT);

    public Device device() {
        return Device.parse(device);
    }
}
