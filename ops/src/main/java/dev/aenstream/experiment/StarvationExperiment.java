package dev.aenstream.experiment;

import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.Penalty;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.train.Checkpoints;
import dev.aenstream.sae.train.SparsityTarget;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The paper's synthetic study: every architecture at every rho and seed, trained at matched
 * sparsity on the spiked generator. Finished runs go to a {@link RunStore} as they end and runs in
 * progress are checkpointed, so a killed experiment continues where it stopped; {@code shard i/N}
 * takes every N-th run, for spreading the grid over machines.
 */
public final class StarvationExperiment {
    /**
     * One cell of the grid.
     *
     * @param arch the architecture
     * @param rho the coherence of the true atoms
     * @param seed the seed of data and initialisation
     * @param point the configuration of the declared grid ({@link Protocol#GRID}), else null
     */
    public record RunSpec(Penalty arch, double rho, long seed, DeclaredGrid.Point point) {
        public RunSpec(Penalty arch, double rho, long seed) {
            this(arch, rho, seed, null);
        }

        /**
         * Identifies the run across resumes and shards: preset, target, arch, rho, seed, how b_dec
         * started, and the protocol and configuration where they are not the default.
         */
        public String key(StarvationPreset preset, double targetL0, Protocol protocol) {
            return String.format(
                            Locale.ROOT,
                            "%s/l0=%s/%s/rho=%s/seed=%d/b_dec=%s",
                            preset.name(),
                            trim(targetL0),
                            arch.label(),
                            trim(rho),
                            seed,
                            preset.bDecInit())
                    + protocol.keySuffix()
                    + (point == null ? "" : "/" + point.label());
        }

        static String trim(double v) {
            return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
        }
    }

    /**
     * What to run and where.
     *
     * @param preset the schedule and shared hyperparameters
     * @param targetL0 the L0 every run is matched to
     * @param protocol how each run's sparsity is chosen
     * @param seeds seeds of data and initialisation
     * @param shard which share of the grid this process runs, 1-based
     * @param shards how many shares the grid is split into
     * @param jobs runs trained side by side
     * @param threadsPerJob ONNX Runtime threads of each run
     * @param device where the steps run
     * @param out the experiment's folder
     */
    public record Plan(
            StarvationPreset preset,
            double targetL0,
            Protocol protocol,
            List<Long> seeds,
            int shard,
            int shards,
            int jobs,
            int threadsPerJob,
            Device device,
            Path out) {
        public Plan {
            if (!(targetL0 >= 1)) throw new IllegalArgumentException("target L0 must be >= 1");
            if (seeds.isEmpty()) throw new IllegalArgumentException("need at least one seed");
            if (shards < 1 || shard < 1 || shard > shards)
                throw new IllegalArgumentException(
                        "--shard must be i/N with 1 <= i <= N, got " + shard + "/" + shards);
            if (jobs < 1) throw new IllegalArgumentException("--jobs must be >= 1");
            if (threadsPerJob < 1)
                throw new IllegalArgumentException("--threads must be >= 1, got " + threadsPerJob);
        }

        /**
         * The whole grid, in a fixed order: seed, then rho, then architecture, then (for {@link
         * Protocol#GRID}) the configurations of the declared grid.
         */
        public List<RunSpec> grid() {
            List<RunSpec> runs = new ArrayList<>();
            for (long seed : seeds)
                for (double rho : preset.rhos())
                    for (Penalty arch : preset.archs()) {
                        if (protocol != Protocol.GRID) runs.add(new RunSpec(arch, rho, seed));
                        else
                            for (DeclaredGrid.Point point : DeclaredGrid.authors(arch))
                                runs.add(new RunSpec(arch, rho, seed, point));
                    }
            return runs;
        }

        /** The key of {@code spec} under this plan. */
        public String key(RunSpec spec) {
            return spec.key(preset, targetL0, protocol);
        }

        /** This shard's runs: every {@code shards}-th run of the grid from the {@code shard}-th. */
        public List<RunSpec> mine() {
            List<RunSpec> all = grid();
            List<RunSpec> runs = new ArrayList<>();
            for (int i = shard - 1; i < all.size(); i += shards) runs.add(all.get(i));
            return runs;
        }
    }

    private final Plan plan;
    private final RunStore store;

    public StarvationExperiment(Plan plan, RunStore store) {
        this.plan = plan;
        this.store = store;
    }

    /** Trains every run of this shard not yet in the store. */
    public void run() throws Exception {
        List<RunSpec> mine = plan.mine();
        List<RunSpec> todo = mine.stream().filter(r -> !store.done(plan.key(r))).toList();
        System.out.printf(
                "starvation experiment (%s, target L0 %s): %d runs in shard %d/%d, %d already"
                        + " done, %d to train, %d at a time%n",
                plan.preset().name(),
                RunSpec.trim(plan.targetL0()),
                mine.size(),
                plan.shard(),
                plan.shards(),
                mine.size() - todo.size(),
                todo.size(),
                plan.jobs());
        long started = System.nanoTime();
        AtomicInteger finished = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(plan.jobs());
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (RunSpec spec : todo) {
                futures.add(
                        pool.submit(
                                () -> {
                                    Map<String, Object> row = train(spec);
                                    synchronized (store) {
                                        store.add(row);
                                    }
                                    int done = finished.incrementAndGet();
                                    double elapsed = (System.nanoTime() - started) / 1e9;
                                    System.out.printf(
                                            Locale.ROOT,
                                            "[%d/%d] %-7s rho %.1f seed %d: l0 %.1f fve %.3f dead"
                                                    + " %.1f%% shrinkage %.3f %s (%.0f s; about"
                                                    + " %.0f s left)%n",
                                            done,
                                            todo.size(),
                                            spec.arch().label(),
                                            spec.rho(),
                                            spec.seed(),
                                            (Double) row.get("l0"),
                                            (Double) row.get("fve"),
                                            (Double) row.get("dead_pct"),
                                            (Double) row.get("shrinkage"),
                                            row.containsKey("k")
                                                    ? "k " + row.get("k")
                                                    : String.format(
                                                            Locale.ROOT,
                                                            "lambda1 %.3g",
                                                            (Double) row.get("lambda1")),
                                            (Double) row.get("wall_s"),
                                            elapsed / done * (todo.size() - done));
                                    return null;
                                }));
            }
            for (Future<?> f : futures) f.get();
        } finally {
            pool.shutdownNow();
        }
    }

    private Map<String, Object> train(RunSpec spec) throws Exception {
        long t0 = System.nanoTime();
        StarvationPreset preset = plan.preset();
        String key = plan.key(spec);
        SpikedConfig data = preset.data(spec.rho(), spec.seed());
        TrainConfig config = preset.train(spec.arch(), data, spec.seed(), plan.targetL0());
        if (spec.point() != null) {
            TrainConfig.Builder b = config.toBuilder();
            spec.point().settings().forEach(b::set);
            config = b.build();
        }
        Path checkpoints = plan.out().resolve("checkpoints").resolve(key.replace('/', '_'));
        String id = spec.arch().label();
        Checkpoints.Checkpoint checkpoint =
                Files.isDirectory(checkpoints) ? Checkpoints.latest(checkpoints, id) : null;
        long every = checkpointEvery(preset.steps());
        SpikedGenerator generator = new SpikedGenerator(data);
        try (Trainer trainer =
                checkpoint != null
                        ? Trainer.resume(id, checkpoint, plan.device(), plan.threadsPerJob())
                        : Trainer.start(id, config, plan.device(), plan.threadsPerJob())) {
            if (checkpoint != null)
                System.out.printf("%s: resumed at step %,d%n", key, trainer.stepsDone());
            SparsityTarget sparsity = plan.protocol().sparsity(plan.targetL0(), preset);
            trainer.target(config.has(Penalised.LAMBDA1) ? sparsity : null);
            long startBatch = SyntheticRun.firstBatch(checkpoint, trainer);
            RunProgress progress =
                    RunProgress.resumed(
                            key, preset.steps(), trainer.stepsDone(), System.out, t0, checkpoints);
            if (checkpoint == null && preset.centredStart())
                SyntheticRun.centre(trainer, generator, startBatch);
            SyntheticRun.train(
                    trainer,
                    generator,
                    preset.steps(),
                    startBatch,
                    (t, r, batchIndex) -> {
                        progress.stepped(t, r);
                        long done = t.stepsDone();
                        if (done % every == 0 && done < preset.steps()) {
                            t.checkpoint(checkpoints, SyntheticRun.position(batchIndex));
                            progress.save(checkpoints);
                        }
                    });
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("key", key);
            row.put("preset", preset.name());
            row.put("arch", spec.arch().label());
            row.put("rho", spec.rho());
            row.put("seed", spec.seed());
            row.put("target_l0", plan.targetL0());
            row.put("b_dec_init", preset.bDecInit());
            row.put("protocol", plan.protocol().label());
            if (spec.point() != null) row.put("grid_point", spec.point().label());
            Map<String, Object> figures =
                    SyntheticRun.evaluate(
                            trainer, generator, preset.evalRows(), plan.threadsPerJob());
            figures.remove("sae_id");
            figures.remove("arch");
            row.putAll(figures);
            row.put(
                    "matched",
                    SparsityTarget.of(plan.targetL0()).matched((Double) figures.get("l0")));
            row.put("wall_s", progress.seconds());
            row.put("trajectory_from_step", progress.fromStep());
            row.put("trajectory", progress.trajectory());
            deleteRecursively(checkpoints);
            return row;
        }
    }

    /**
     * Checkpoints every tenth of a run, on a multiple of the calibration's update period so a
     * resumed calibration continues from a whole window.
     */
    static long checkpointEvery(long steps) {
        long every = SparsityTarget.DEFAULT_EVERY;
        return Math.max(every, steps / 10 / every * every);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
