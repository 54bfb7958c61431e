package dev.aenstream.experiment;

import dev.aenstream.monitor.DriftSettings;
import dev.aenstream.monitor.DriftState;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.Activation;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The drift tests proven on a stream whose changes are known: the spiked stream encoded by a fixed
 * TopK SAE whose features are the stream's atoms plus one more, a concept the stream does not hold
 * yet. It runs once unchanged for the false alarms, and once per planted change (that concept
 * switched on in a share of rows, or one atom's rate multiplied) for the detection delay; every
 * false-alarm setting is tested on the same rows (docs/monitoring.md).
 */
public final class DriftExperiment {
    /** What to run: the stream, its lengths, the settings compared and the changes planted. */
    public record Plan(
            SpikedConfig data,
            long cleanRows,
            long maxDelayRows,
            int batchRows,
            List<Double> falseAlarmRates,
            List<Double> conceptShares,
            List<Double> rateFactors,
            MonitorConfig monitor,
            int threads) {}

    /** A change planted after the reference: a new atom in {@code share} of rows, or a rate. */
    record Change(String name, double share, double factor) {
        boolean concept() {
            return share > 0;
        }
    }

    /** The atom whose rate the rate changes multiply; the SAE's feature for it has the same id. */
    static final int TARGET = 0;

    private final Plan plan;
    private final PrintStream progress;
    private final int n;
    private final int d;
    private final int k;

    /** The planted concept's direction: the SAE's last feature, absent from the clean stream. */
    private final float[] concept;

    public DriftExperiment(Plan plan, PrintStream progress) {
        this.plan = plan;
        this.progress = progress;
        this.n = plan.data().get(SpikedConfig.N);
        this.d = plan.data().get(SpikedConfig.ATOMS) + 1;
        this.k = plan.data().get(SpikedConfig.K);
        this.concept = unit(new SplittableRandom(plan.data().get(SpikedConfig.SEED) + 999), n);
    }

    /** Runs the clean stream and every change; the summary the command prints and writes. */
    public Map<String, Object> run() throws Exception {
        SpikedGenerator dictionary = new SpikedGenerator(plan.data());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("n", n);
        out.put("features", d);
        out.put("concept_feature", d - 1);
        out.put("k", k);
        out.put("reference_tokens", plan.monitor().get(MonitorConfig.DRIFT_REFERENCE_TOKENS));
        out.put("block_tokens", plan.monitor().get(MonitorConfig.DRIFT_BLOCK_TOKENS));
        out.put("ratio", plan.monitor().get(MonitorConfig.DRIFT_RATIO));
        try (SaeEncoder encoder =
                SaeEncoder.open(
                        oracle(dictionary.dictionary()),
                        new EncoderSpec(k, false, Activation.TOP_K),
                        Device.CPU,
                        plan.threads())) {
            out.put("clean", clean(encoder));
            List<Map<String, Object>> changes = new ArrayList<>();
            for (Change c : changes()) changes.add(planted(encoder, c));
            out.put("changes", changes);
        }
        return out;
    }

    List<Change> changes() {
        List<Change> all = new ArrayList<>();
        for (double s : plan.conceptShares()) all.add(new Change("concept share " + s, s, 1));
        for (double f : plan.rateFactors())
            all.add(new Change("rate of feature " + TARGET + " x" + f, 0, f));
        return all;
    }

    /** An SAE whose encoder and decoder are the stream's atoms, then the planted concept. */
    private SaeParameters oracle(float[] atoms) {
        float[] wEnc = java.util.Arrays.copyOf(atoms, d * n);
        System.arraycopy(concept, 0, wEnc, (d - 1) * n, n);
        float[] wDec = new float[n * d];
        for (int j = 0; j < d; j++) for (int i = 0; i < n; i++) wDec[i * d + j] = wEnc[j * n + i];
        return new SaeParameters(n, d, wEnc, new float[d], wDec, new float[n]);
    }

    /** One detector per false-alarm setting, all fed the same counts. */
    private final class Detectors {
        final List<DriftState> states = new ArrayList<>();
        final List<DriftSettings> settings = new ArrayList<>();
        final long[] alarms;
        final long[] firstAlarmRow;
        final List<List<Map<String, Object>>> firstFeatures = new ArrayList<>();
        long testedRows;

        Detectors() {
            for (double rate : plan.falseAlarmRates()) {
                states.add(new DriftState(d));
                settings.add(
                        DriftSettings.of(
                                plan.monitor().with(MonitorConfig.DRIFT_FALSE_ALARMS, rate), d));
                firstFeatures.add(List.of());
            }
            alarms = new long[states.size()];
            firstAlarmRow = new long[states.size()];
            java.util.Arrays.fill(firstAlarmRow, -1);
        }

        boolean testing() {
            return states.get(0).testing();
        }

        /** Feeds one batch; alarms counted from row {@code since} of the run on. */
        void add(long row, int rows, long[] fires, long since, int mustName) {
            if (testing()) testedRows += rows;
            for (int s = 0; s < states.size(); s++) {
                DriftState.Block block = states.get(s).add(1, rows, fires, settings.get(s));
                if (block == null || block.moved().isEmpty()) continue;
                alarms[s] += block.moved().size();
                List<Integer> ids = block.moved().stream().map(DriftState.Moved::feature).toList();
                boolean named = mustName < 0 || ids.contains(mustName);
                if (row >= since && named && firstAlarmRow[s] < 0) {
                    firstAlarmRow[s] = row + rows;
                    List<Map<String, Object>> first = new ArrayList<>();
                    for (DriftState.Moved m : block.moved().subList(0, Math.min(5, ids.size()))) {
                        Map<String, Object> f = new LinkedHashMap<>();
                        f.put("feature", m.feature());
                        f.put("up", m.up());
                        f.put("reference_density", m.referenceDensity());
                        f.put("density", m.density());
                        first.add(f);
                    }
                    firstFeatures.set(s, first);
                }
            }
        }
    }

    private Map<String, Object> clean(SaeEncoder encoder) throws Exception {
        Detectors detectors = new Detectors();
        Stream stream = new Stream(encoder, null);
        long started = System.nanoTime();
        long reported = started;
        while (!detectors.testing() || detectors.testedRows < plan.cleanRows()) {
            long[] fires = stream.next();
            detectors.add(stream.row, plan.batchRows(), fires, Long.MAX_VALUE, -1);
            if (System.nanoTime() - reported > 5_000_000_000L) {
                reported = System.nanoTime();
                progress.printf(
                        "clean stream: %,d of %,d rows tested, %s false alarms so far%n",
                        detectors.testedRows,
                        plan.cleanRows(),
                        java.util.Arrays.toString(detectors.alarms));
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        List<Map<String, Object>> settings = new ArrayList<>();
        for (int s = 0; s < detectors.states.size(); s++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("false_alarms_per_million_bound", plan.falseAlarmRates().get(s));
            r.put("threshold", detectors.settings.get(s).threshold());
            r.put("false_alarms", detectors.alarms[s]);
            r.put("false_alarms_per_million", detectors.alarms[s] * 1e6 / detectors.testedRows);
            settings.add(r);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rows_tested", detectors.testedRows);
        out.put("rows_per_s", stream.row / seconds);
        out.put("settings", settings);
        return out;
    }

    private Map<String, Object> planted(SaeEncoder encoder, Change change) throws Exception {
        Detectors detectors = new Detectors();
        Stream stream = new Stream(encoder, change);
        // The change starts two blocks after the reference is complete.
        long plantAt = -1;
        long plantedNs = 0;
        long[] alarmNs = new long[detectors.states.size()];
        while (true) {
            if (detectors.testing() && plantAt < 0) {
                plantAt = stream.row + 2 * plan.monitor().get(MonitorConfig.DRIFT_BLOCK_TOKENS);
            }
            stream.active = plantAt >= 0 && stream.row >= plantAt;
            if (stream.active && plantedNs == 0) plantedNs = System.nanoTime();
            long row = stream.row;
            long[] fires = stream.next();
            detectors.add(
                    row,
                    plan.batchRows(),
                    fires,
                    plantAt < 0 ? Long.MAX_VALUE : plantAt,
                    change.concept() ? -1 : TARGET);
            for (int s = 0; s < alarmNs.length; s++)
                if (detectors.firstAlarmRow[s] >= 0 && alarmNs[s] == 0)
                    alarmNs[s] = System.nanoTime();
            boolean all = java.util.Arrays.stream(detectors.firstAlarmRow).allMatch(r -> r >= 0);
            if (all || (plantAt >= 0 && stream.row - plantAt >= plan.maxDelayRows())) break;
        }
        List<Map<String, Object>> settings = new ArrayList<>();
        for (int s = 0; s < detectors.states.size(); s++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("false_alarms_per_million_bound", plan.falseAlarmRates().get(s));
            boolean found = detectors.firstAlarmRow[s] >= 0;
            r.put("detected", found);
            r.put("delay_rows", found ? detectors.firstAlarmRow[s] - plantAt : null);
            r.put("delay_s", found ? (alarmNs[s] - plantedNs) / 1e9 : null);
            r.put("features", detectors.firstFeatures.get(s));
            settings.add(r);
        }
        progress.printf("%s: %s%n", change.name(), settings);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("change", change.name());
        out.put("share", change.concept() ? change.share() : null);
        out.put("factor", change.concept() ? null : change.factor());
        out.put("planted_at_row", plantAt);
        out.put("max_delay_rows", plan.maxDelayRows());
        out.put("settings", settings);
        return out;
    }

    /** The spiked stream, encoded a batch at a time, with the change planted while active. */
    private final class Stream {
        final SaeEncoder encoder;
        final Change change;
        final SpikedGenerator generator = new SpikedGenerator(plan.data());
        final float[] atoms = generator.dictionary();
        final SplittableRandom random;
        final float[] x;
        final int[] support;
        final float[] magnitudes;
        final FloatBuffer input;
        long row;
        boolean active;

        Stream(SaeEncoder encoder, Change change) {
            this.encoder = encoder;
            this.change = change;
            this.random = new SplittableRandom(plan.data().get(SpikedConfig.SEED) + 1_000);
            int rows = plan.batchRows();
            this.x = new float[rows * n];
            this.support = new int[rows * k];
            this.magnitudes = new float[rows * k];
            this.input = FloatBuffer.wrap(x);
        }

        long[] next() throws Exception {
            int rows = plan.batchRows();
            generator.next(x, 0, rows, support, magnitudes);
            if (active) plant(rows);
            SparseCodes codes = encoder.encode(input.rewind(), rows);
            long[] fires = new long[d];
            for (int e = 0; e < codes.entries(); e++)
                if (codes.values()[e] > 0) fires[codes.indices()[e]]++;
            row += rows;
            return fires;
        }

        private void plant(int rows) {
            double p = (double) k / d;
            for (int r = 0; r < rows; r++) {
                if (change.concept()) {
                    if (random.nextDouble() < change.share()) add(r, concept, 0, magnitude());
                    continue;
                }
                int at = -1;
                for (int s = 0; s < k; s++) if (support[r * k + s] == TARGET) at = s;
                if (change.factor() > 1 && at < 0) {
                    double q = (change.factor() - 1) * p / (1 - p);
                    if (random.nextDouble() < q) add(r, atoms, TARGET * n, magnitude());
                } else if (change.factor() < 1 && at >= 0) {
                    if (random.nextDouble() < 1 - change.factor())
                        add(r, atoms, TARGET * n, -magnitudes[r * k + at]);
                }
            }
        }

        private float magnitude() {
            return (float)
                    (SpikedConfig.MIN_MAGNITUDE
                            + (SpikedConfig.MAX_MAGNITUDE - SpikedConfig.MIN_MAGNITUDE)
                                    * random.nextDouble());
        }

        private void add(int r, float[] atom, int from, float m) {
            for (int i = 0; i < n; i++) x[r * n + i] += m * atom[from + i];
        }
    }

    private static float[] unit(SplittableRandom random, int n) {
        float[] v = new float[n];
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double u1 = 1 - random.nextDouble();
            double u2 = random.nextDouble();
            v[i] = (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
            sq += v[i] * v[i];
        }
        float inv = (float) (1 / Math.sqrt(sq));
        for (int i = 0; i < n; i++) v[i] *= inv;
        return v;
    }
}
