package dev.aenstream.sae.train;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.OperatingSystemMXBean;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * The memory a training run needs, worked out from its shape before anything is allocated, so a run
 * that cannot fit says so, with the figures and what to do, instead of failing half-way with an
 * {@link OutOfMemoryError}.
 *
 * <p>{@code stateBytes}: the step's two slots of parameters and Adam moments in direct buffers (2 x
 * 3 x (2nD + D + n) floats, about 12·n·D·4 bytes) and the EMAs. {@code startBytes}: the starting
 * state on the heap (parameters and moments once), dropped after loading. {@code workspaceBytes}:
 * what ONNX Runtime holds during a step: both weight gradients (2nD floats) and about {@value
 * #BATCH_TENSORS} [batch, D] activations and their gradients.
 */
public record TrainMemory(long stateBytes, long startBytes, long workspaceBytes) {
    /** [batch, D] tensors alive at once inside a step: pre, h, masks, and their gradients. */
    static final int BATCH_TENSORS = 8;

    public static TrainMemory of(TrainConfig c) {
        long n = c.n();
        long d = c.d();
        long params = 2 * n * d + d + n;
        long emas = 2 * d;
        long state = (2 * 3 * params + 2 * emas) * Float.BYTES;
        long start = (3 * params + emas) * Float.BYTES;
        long workspace =
                (2 * n * d + BATCH_TENSORS * (long) c.get(TrainConfig.BATCH) * d) * Float.BYTES;
        return new TrainMemory(state, start, workspace);
    }

    public long totalBytes() {
        return stateBytes + startBytes + workspaceBytes;
    }

    /** The run does not fit in this JVM or on this machine. */
    public static final class DoesNotFit extends IllegalStateException {
        DoesNotFit(String message) {
            super(message);
        }
    }

    /**
     * Checks the run against this JVM's free direct memory (the state), its heap (the start) and
     * the machine's physical memory (all of it).
     *
     * @throws DoesNotFit naming what is short, by how much, and what to do
     */
    public void check(String what) {
        check(what, directFree(), Runtime.getRuntime().maxMemory(), physical());
    }

    void check(String what, long directFree, long heapMax, long physical) {
        String need =
                what
                        + " needs about "
                        + gib(totalBytes())
                        + ": "
                        + gib(stateBytes)
                        + " of parameters, Adam moments and EMAs in direct memory (two slots), "
                        + gib(startBytes)
                        + " of heap while it starts, and "
                        + gib(workspaceBytes)
                        + " inside ONNX Runtime for gradients and activations";
        if (physical > 0 && totalBytes() > physical)
            throw new DoesNotFit(
                    need
                            + "; this machine has "
                            + gib(physical)
                            + " in all. Train it on a machine with more memory, or with a smaller"
                            + " --d-sae or --batch; an encoder serves such an SAE in far less"
                            + " (its weights once, 2·n·D·4 bytes).");
        if (stateBytes > directFree)
            throw new DoesNotFit(
                    need
                            + "; this JVM may use "
                            + gib(directFree)
                            + " more of direct memory. The machine has "
                            + gib(physical)
                            + ": raise the JVM's limit, e.g."
                            + " AEN_JAVA_OPTS=\"-XX:MaxDirectMemorySize="
                            + (stateBytes / (1L << 30) + 2)
                            + "g\".");
        if (startBytes > heapMax)
            throw new DoesNotFit(
                    need
                            + "; this JVM's heap is "
                            + gib(heapMax)
                            + ": raise it, e.g. AEN_JAVA_OPTS=\"-Xmx"
                            + (startBytes / (1L << 30) + 2)
                            + "g\".");
    }

    private static long directFree() {
        long max = 0;
        try {
            String value =
                    ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                            .getVMOption("MaxDirectMemorySize")
                            .getValue();
            max = Long.parseLong(value);
        } catch (RuntimeException e) {
            // Not HotSpot: the default below.
        }
        // 0 means the default: as much as the heap may grow to.
        if (max <= 0) max = Runtime.getRuntime().maxMemory();
        long used = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) used = pool.getMemoryUsed();
        }
        return max - used;
    }

    private static long physical() {
        try {
            return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getTotalMemorySize();
        } catch (ClassCastException e) {
            return 0;
        }
    }

    static String gib(long bytes) {
        return String.format("%.1f GiB", bytes / (double) (1L << 30));
    }
}
