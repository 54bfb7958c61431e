package dev.aenstream.fuzz;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A mutation fuzzer for parsers of untrusted bytes: from valid seeds it makes inputs by flipping
 * bits, writing boundary integers and huge varints (the lengths and counts of Avro, safetensors
 * headers and protobuf), inserting, deleting, duplicating and truncating ranges and splicing seeds,
 * keeping the inputs a parser rejected late as seeds too. A target must accept an input or refuse
 * it with its documented exception, in bounded time: anything else (another exception, an
 * OutOfMemoryError, a hang) is a finding, saved under target/fuzz-findings with the seed that makes
 * it again.
 *
 * <p>Each target runs for {@code -Daen.fuzz.seconds} (a few seconds in the tests, hours for a long
 * run) from {@code -Daen.fuzz.seed}; committed findings under src/test/resources/fuzz/NAME are
 * replayed first.
 */
public final class Fuzzer {
    /** Inputs each target tries unless told otherwise: the bounded run of the test suite. */
    public static final long DEFAULT_INPUTS = 3000;

    /** The most seconds a target runs unless told otherwise. */
    public static final double DEFAULT_SECONDS = 5;

    private static final long HANG_SECONDS = 10;
    private static final int MAX_INPUT_BYTES = 1 << 20;
    private static final int MAX_KEPT = 256;
    private static final long[] BOUNDARIES = {
        0,
        1,
        -1,
        0x7F,
        0x80,
        0xFF,
        0x7FFF,
        0x8000,
        0xFFFF,
        Integer.MAX_VALUE,
        Integer.MIN_VALUE,
        0xFFFFFFFFL,
        Long.MAX_VALUE,
        Long.MIN_VALUE,
        1L << 31,
        1L << 40
    };

    /** Parses one input; returns normally when it accepts it. */
    @FunctionalInterface
    public interface Target {
        void parse(byte[] input) throws Exception;
    }

    /** What a run did: inputs tried, accepted and refused as documented. */
    public record Report(String name, long inputs, long accepted, long refused) {}

    private Fuzzer() {}

    public static long inputs() {
        return Long.getLong("aen.fuzz.inputs", DEFAULT_INPUTS);
    }

    public static double seconds() {
        return Double.parseDouble(
                System.getProperty("aen.fuzz.seconds", Double.toString(DEFAULT_SECONDS)));
    }

    /**
     * Fuzzes {@code target} from {@code seeds}; {@code refusal} tells a documented refusal from a
     * finding. Throws an AssertionError naming the first finding.
     */
    public static Report run(
            String name, List<byte[]> seeds, Target target, Predicate<Throwable> refusal)
            throws Exception {
        long seed = Long.getLong("aen.fuzz.seed", name.hashCode());
        SplittableRandom random = new SplittableRandom(seed);
        List<byte[]> pool = new ArrayList<>(seeds);
        ExecutorService worker =
                Executors.newSingleThreadExecutor(
                        r -> {
                            Thread t = new Thread(r, "fuzz-" + name);
                            t.setDaemon(true);
                            return t;
                        });
        long inputs = 0, accepted = 0, refused = 0;
        try {
            for (byte[] regression : committedFindings(name)) {
                if (tryOne(name, regression, target, refusal, worker, seed, -1)) accepted++;
                else refused++;
                inputs++;
            }
            long end = System.nanoTime() + (long) (seconds() * 1e9);
            long limit = inputs + inputs();
            while (inputs < limit && System.nanoTime() < end) {
                byte[] input = mutate(pool, random);
                boolean ok = tryOne(name, input, target, refusal, worker, seed, inputs);
                if (ok) accepted++;
                else refused++;
                // Accepted inputs are valid in new ways: later mutations start from them too.
                if (ok && pool.size() < MAX_KEPT + seeds.size()) pool.add(input);
                inputs++;
            }
        } finally {
            worker.shutdownNow();
        }
        return new Report(name, inputs, accepted, refused);
    }

    /** True: accepted; false: refused as documented; a finding throws. */
    private static boolean tryOne(
            String name,
            byte[] input,
            Target target,
            Predicate<Throwable> refusal,
            ExecutorService worker,
            long seed,
            long iteration)
            throws Exception {
        Future<?> done =
                worker.submit(
                        () -> {
                            target.parse(input);
                            return null;
                        });
        try {
            done.get(HANG_SECONDS, TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (!(cause instanceof Error) && refusal.test(cause)) return false;
            throw finding(name, input, seed, iteration, cause.toString(), cause);
        } catch (TimeoutException e) {
            done.cancel(true);
            throw finding(
                    name, input, seed, iteration, "no answer in " + HANG_SECONDS + " s", null);
        }
    }

    private static AssertionError finding(
            String name, byte[] input, long seed, long iteration, String what, Throwable cause)
            throws IOException {
        Path dir = Path.of("target", "fuzz-findings");
        Files.createDirectories(dir);
        Path file = dir.resolve(name + "-" + seed + "-" + iteration + ".bin");
        Files.write(file, input);
        String head = HexFormat.of().formatHex(input, 0, Math.min(input.length, 64));
        AssertionError e =
                new AssertionError(
                        name
                                + ": "
                                + what
                                + " on input "
                                + iteration
                                + " of seed "
                                + seed
                                + " ("
                                + input.length
                                + " bytes, saved to "
                                + file.toAbsolutePath()
                                + "; commit it under src/test/resources/fuzz/"
                                + name
                                + "/ once fixed): "
                                + head);
        if (cause != null) e.initCause(cause);
        return e;
    }

    private static List<byte[]> committedFindings(String name) throws IOException {
        List<byte[]> out = new ArrayList<>();
        for (String listed : List.of("INDEX")) {
            try (InputStream index =
                    Fuzzer.class.getResourceAsStream("/fuzz/" + name + "/" + listed)) {
                if (index == null) return out;
                for (String line : new String(index.readAllBytes()).split("\n")) {
                    if (line.isBlank() || line.startsWith("#")) continue;
                    try (InputStream in =
                            Fuzzer.class.getResourceAsStream("/fuzz/" + name + "/" + line.trim())) {
                        if (in == null)
                            throw new IOException(
                                    "fuzz finding " + line + " is listed but missing");
                        out.add(in.readAllBytes());
                    }
                }
            }
        }
        return out;
    }

    static byte[] mutate(List<byte[]> pool, SplittableRandom random) {
        byte[] b = pool.get(random.nextInt(pool.size())).clone();
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations; m++) b = mutateOnce(b, pool, random);
        return b.length > MAX_INPUT_BYTES ? java.util.Arrays.copyOf(b, MAX_INPUT_BYTES) : b;
    }

    private static byte[] mutateOnce(byte[] b, List<byte[]> pool, SplittableRandom random) {
        if (b.length == 0) return new byte[] {(byte) random.nextInt(256)};
        int at = random.nextInt(b.length);
        switch (random.nextInt(9)) {
            case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
            case 1 -> b[at] = (byte) random.nextInt(256);
            case 2 -> {
                // A boundary integer, little-endian, over 1 to 8 bytes.
                long v = BOUNDARIES[random.nextInt(BOUNDARIES.length)];
                int width = 1 + random.nextInt(8);
                for (int i = 0; i < width && at + i < b.length; i++)
                    b[at + i] = (byte) (v >>> (8 * i));
            }
            case 3 -> {
                // A varint (Avro's zig-zag longs, protobuf lengths) of a large or negative value.
                long v = BOUNDARIES[random.nextInt(BOUNDARIES.length)];
                byte[] varint = varint(random.nextBoolean() ? (v << 1) ^ (v >> 63) : v);
                return splice(b, at, Math.min(b.length - at, random.nextInt(1, 4)), varint);
            }
            case 4 -> {
                byte[] bytes = new byte[1 + random.nextInt(16)];
                random.nextBytes(bytes);
                return splice(b, at, 0, bytes);
            }
            case 5 -> {
                return splice(
                        b,
                        at,
                        random.nextInt(1, Math.max(2, Math.min(64, b.length - at + 1))),
                        new byte[0]);
            }
            case 6 -> {
                int len = Math.min(b.length - at, 1 + random.nextInt(64));
                return splice(
                        b,
                        random.nextInt(b.length),
                        0,
                        java.util.Arrays.copyOfRange(b, at, at + len));
            }
            case 7 -> {
                return java.util.Arrays.copyOf(b, at);
            }
            default -> {
                byte[] other = pool.get(random.nextInt(pool.size()));
                int from = random.nextInt(Math.max(1, other.length));
                int len = Math.min(other.length - from, 1 + random.nextInt(256));
                return splice(
                        b,
                        at,
                        Math.min(b.length - at, len),
                        java.util.Arrays.copyOfRange(other, from, from + Math.max(0, len)));
            }
        }
        return b;
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }

    private static byte[] varint(long v) {
        byte[] out = new byte[10];
        int n = 0;
        while ((v & ~0x7FL) != 0) {
            out[n++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out[n++] = (byte) v;
        return java.util.Arrays.copyOf(out, n);
    }
}
