package dev.aenstream.sae.runtime;

/**
 * A child JVM's main for NativeLibrariesIT: loads ONNX Runtime as every command does, says so, and
 * with the argument {@code hold} waits to be killed.
 */
public final class LoadOnnxRuntime {
    private LoadOnnxRuntime() {}

    public static void main(String[] args) throws Exception {
        System.out.println("loaded ONNX Runtime " + OrtSessions.environment().getVersion());
        if (args.length > 0 && args[0].equals("hold")) Thread.sleep(Long.MAX_VALUE);
    }
}
