package dev.aenstream.chaos;

import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Measures one local JVM the way a leak shows: its live heap (used after a full collection, asked
 * for over the JVM's own management agent), its resident memory, threads and open files (from
 * /proc).
 */
final class ProcessProbe implements AutoCloseable {
    /** One measurement; -1 where the figure could not be read. */
    record Sample(
            double atSeconds, long liveHeapBytes, long rssBytes, int threads, int openFiles) {}

    private final long pid;
    private JMXConnector jmx;
    private MemoryMXBean memory;

    ProcessProbe(long pid) {
        this.pid = pid;
    }

    Sample sample(double atSeconds) {
        Path proc = Path.of("/proc", Long.toString(pid));
        return new Sample(
                atSeconds,
                liveHeap(),
                statusField(proc, "VmRSS:") * 1024,
                (int) statusField(proc, "Threads:"),
                openFiles(proc));
    }

    /** Heap in use right after a full collection: what the process keeps, not what it churns. */
    private long liveHeap() {
        try {
            if (memory == null) connect();
            memory.gc();
            return memory.getHeapMemoryUsage().getUsed();
        } catch (IOException | RuntimeException e) {
            // A JVM just started may not take an agent yet; the next sample tries again.
            close();
            return -1;
        }
    }

    private void connect() throws IOException {
        String address;
        try {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
            try {
                address = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
        } catch (com.sun.tools.attach.AttachNotSupportedException e) {
            throw new IOException("cannot attach to process " + pid + ": " + e.getMessage(), e);
        }
        jmx = JMXConnectorFactory.connect(new JMXServiceURL(address));
        memory =
                ManagementFactory.newPlatformMXBeanProxy(
                        jmx.getMBeanServerConnection(),
                        ManagementFactory.MEMORY_MXBEAN_NAME,
                        MemoryMXBean.class);
    }

    private static long statusField(Path proc, String field) {
        try (Stream<String> lines = Files.lines(proc.resolve("status"))) {
            return lines.filter(l -> l.startsWith(field))
                    .map(l -> l.substring(field.length()).trim().split("\\s+")[0])
                    .mapToLong(Long::parseLong)
                    .findFirst()
                    .orElse(-1);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static int openFiles(Path proc) {
        try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
            return (int) fds.count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        memory = null;
        if (jmx == null) return;
        try {
            jmx.close();
        } catch (IOException ignored) {
            // the process is gone or the connection broke: nothing left to release
        }
        jmx = null;
    }
}
