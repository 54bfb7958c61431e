package dev.aenstream.bench;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where the encoder's time goes, from the timers its processor keeps: a snapshot at the start and
 * at the end of a measured window gives each stage's mean time per record and the share of the
 * stream threads' time the processor took.
 */
final class StageTimes {
    /** The processor's timers: the whole record, then its stages. */
    static final String RECORD = "aen.encode.batch";

    private static final Map<String, String> STAGES = new LinkedHashMap<>();

    static {
        STAGES.put("aen.ort", "ONNX Runtime");
        STAGES.put("aen.encode.load", "decoding and checking the rows");
        STAGES.put("aen.encode.statistics", "statistics and the fve's reconstruction");
    }

    private final Map<String, double[]> taken = new LinkedHashMap<>();
    private final long nanos = System.nanoTime();

    private StageTimes() {
        for (String name : STAGES.keySet()) taken.put(name, read(name));
        taken.put(RECORD, read(RECORD));
    }

    static StageTimes now() {
        // Meters of a global registry without a registry behind it count nothing.
        synchronized (StageTimes.class) {
            if (Metrics.globalRegistry.getRegistries().isEmpty())
                Metrics.addRegistry(new SimpleMeterRegistry());
        }
        return new StageTimes();
    }

    private static double[] read(String name) {
        Timer t = Metrics.globalRegistry.find(name).timer();
        return t == null
                ? new double[2]
                : new double[] {t.count(), t.totalTime(TimeUnit.MILLISECONDS)};
    }

    /**
     * The figures between {@code start} and this snapshot: per record the milliseconds of the whole
     * processor and of each stage, the rest (forwarding, serialising codes), and the share of
     * {@code threads} stream threads' wall time spent in the processor.
     */
    Map<String, Object> since(StageTimes start, int threads) {
        Map<String, Object> out = new LinkedHashMap<>();
        double records = taken.get(RECORD)[0] - start.taken.get(RECORD)[0];
        if (records <= 0) return out;
        double whole = (taken.get(RECORD)[1] - start.taken.get(RECORD)[1]) / records;
        out.put("records", (long) records);
        out.put("processor_ms_per_record", whole);
        double stages = 0;
        for (Map.Entry<String, String> s : STAGES.entrySet()) {
            double ms = (taken.get(s.getKey())[1] - start.taken.get(s.getKey())[1]) / records;
            stages += ms;
            out.put(s.getKey().replace('.', '_') + "_ms_per_record", ms);
        }
        out.put("other_ms_per_record", whole - stages);
        double wallMs = (nanos - start.nanos) / 1e6;
        out.put("processor_share_of_stream_threads", whole * records / (wallMs * threads));
        return out;
    }

    /** One line per stage, for people. */
    static String describe(Map<String, Object> f) {
        if (f.isEmpty()) return "no records were timed";
        StringBuilder b =
                new StringBuilder(
                        String.format(
                                "%.1f ms a record in the encoder's processor (%.0f%% of the stream"
                                        + " threads' time; the rest is Kafka's clients):",
                                (double) f.get("processor_ms_per_record"),
                                100 * (double) f.get("processor_share_of_stream_threads")));
        for (Map.Entry<String, String> s : STAGES.entrySet())
            b.append(
                    String.format(
                            " %s %.1f ms,",
                            s.getValue(),
                            (double) f.get(s.getKey().replace('.', '_') + "_ms_per_record")));
        b.append(
                String.format(
                        " the rest (codes out, bookkeeping) %.1f ms",
                        (double) f.get("other_ms_per_record")));
        return b.toString();
    }
}
