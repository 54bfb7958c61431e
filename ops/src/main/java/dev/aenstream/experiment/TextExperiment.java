package dev.aenstream.experiment;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.produce.splice.SaeSplice;
import dev.aenstream.produce.splice.SpliceEvaluation;
import dev.aenstream.produce.splice.SplicedModel;
import dev.aenstream.produce.transformer.TokenSequence;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.WeightPrecision;
import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.AuxK;
import dev.aenstream.sae.penalty.Ghost;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.Penalty;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.sae.train.SparsityTarget;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.Trainer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The starvation comparison on a language model's activations: every architecture trained on the
 * same rows in the same order at the same target L0 (TopK and AuxK with k = L0, the penalised ones
 * with lambda1 moved towards it), then per run the dead share over the same window of training
 * tokens, fve and L0 on held-out rows, and the model's loss with the SAE spliced in on held-out
 * sequences (docs/experiments.md, "Real text").
 */
public final class TextExperiment {
    /**
     * What to train and how long.
     *
     * @param model the language model's graph
     * @param modelName its name in keys and the report
     * @param hook the tapped tensor
     * @param archs the architectures compared
     * @param dSae the dictionary's size
     * @param targetL0 the L0 every run is matched to
     * @param steps steps per run
     * @param batch rows per step
     * @param seed seed of the SAEs' initialisation and of the rows' order
     * @param spliceBatch sequences per spliced forward pass
     * @param threads ONNX Runtime threads
     * @param device where steps and passes run
     */
    public record Plan(
            ModelProto model,
            String modelName,
            String hook,
            List<Penalty> archs,
            int dSae,
            double targetL0,
            int steps,
            int batch,
            long seed,
            int spliceBatch,
            int threads,
            Device device) {
        /** The share of a run whose tokens make the dead window, the last ones. */
        static final int WINDOW_SHARE = 4;

        /** T_warm and the ghost's first step are this share of a run; T_ramp half of it. */
        static final int WARMUP_SHARE = 5;

        public Plan {
            if (archs.isEmpty()) throw new IllegalArgumentException("--archs names none");
            if (!(targetL0 >= 1)) throw new IllegalArgumentException("--target-l0 must be >= 1");
            if (dSae < targetL0)
                throw new IllegalArgumentException("--d-sae must be at least --target-l0");
            if (steps < 4 * WINDOW_SHARE)
                throw new IllegalArgumentException("--steps must be at least " + 4 * WINDOW_SHARE);
            if (batch < 1) throw new IllegalArgumentException("--train-batch must be positive");
        }

        /** Tokens of the dead window: the run's last {@code 1 / WINDOW_SHARE}. */
        public long windowTokens() {
            return (long) steps / WINDOW_SHARE * batch;
        }

        /** Identifies a run across resumes. */
        public String key(Penalty arch) {
            return String.format(
                    Locale.ROOT,
                    "text/%s/%s/d=%d/l0=%s/steps=%d/batch=%d/%s/seed=%d",
                    modelName,
                    hook,
                    dSae,
                    StarvationExperiment.RunSpec.trim(targetL0),
                    steps,
                    batch,
                    arch.label(),
                    seed);
        }

        /**
         * The language-model defaults of docs/aen-sae.md, scaled to the run's length where they are
         * counted in steps or tokens: warm-up, ramp, the ghost's start, AuxK's and the window's
         * dead tokens.
         */
        public TrainConfig config(Penalty arch, int n) {
            TrainConfig base = TrainConfig.languageModel(arch, n, dSae);
            TrainConfig.Builder b =
                    base.toBuilder()
                            .set(TrainConfig.BATCH, batch)
                            .set(TrainConfig.SEED, seed)
                            .set(TrainConfig.DEAD_WINDOW_TOKENS, windowTokens());
            long warm = steps / WARMUP_SHARE;
            if (base.has(AdaptiveWeights.T_WARM))
                b.set(AdaptiveWeights.T_WARM, warm).set(AdaptiveWeights.T_RAMP, warm / 2);
            if (base.has(Ghost.MIN_STEPS)) b.set(Ghost.MIN_STEPS, warm);
            if (base.has(AuxK.DEAD_TOKENS)) b.set(AuxK.DEAD_TOKENS, windowTokens());
            if (base.has(TopK.K)) b.set(TopK.K, SparsityTarget.topK(targetL0));
            return b.build();
        }
    }

    private final Plan plan;
    private final TextActivations rows;
    private final RunStore store;

    public TextExperiment(Plan plan, TextActivations rows, RunStore store) {
        this.plan = plan;
        this.rows = rows;
        this.store = store;
    }

    /**
     * Trains and evaluates every architecture not yet in the store, splicing each into one session
     * of the model.
     */
    public void run() throws Exception {
        List<Penalty> todo = new ArrayList<>();
        for (Penalty arch : plan.archs()) {
            if (store.done(plan.key(arch))) System.out.printf("%s: done before%n", plan.key(arch));
            else todo.add(arch);
        }
        if (todo.isEmpty()) return;
        try (SplicedModel model =
                SplicedModel.open(plan.model(), plan.hook(), plan.device(), plan.threads())) {
            for (Penalty arch : todo) {
                Map<String, Object> row = train(arch, plan.key(arch), model);
                store.add(row);
                System.out.printf(
                        Locale.ROOT,
                        "%-7s l0 %.1f fve %.3f dead %.1f%% silent on held-out %.1f%% %s %.4f%n",
                        arch.label(),
                        (Double) row.get("l0"),
                        (Double) row.get("fve"),
                        (Double) row.get("dead_pct"),
                        (Double) row.get("silent_held_out_pct"),
                        row.get("splice_figure"),
                        (Double) row.get("splice_score"));
            }
        }
    }

    private Map<String, Object> train(Penalty arch, String key, SplicedModel model)
            throws Exception {
        long t0 = System.nanoTime();
        TrainConfig config = plan.config(arch, rows.n());
        try (Trainer trainer = Trainer.start(arch.label(), config, plan.device(), plan.threads())) {
            trainer.target(
                    config.has(Penalised.LAMBDA1) ? SparsityTarget.of(plan.targetL0()) : null);
            RunProgress progress = new RunProgress(key, plan.steps(), 0, System.out, t0);
            int n = rows.n();
            float[] x = new float[plan.batch() * n];
            RowOrder order = new RowOrder(rows.trainRows(), plan.seed());
            while (trainer.stepsDone() < plan.steps()) {
                for (int r = 0; r < plan.batch(); r++)
                    System.arraycopy(rows.train(), order.next() * n, x, r * n, n);
                var result = trainer.step(x, 0, plan.batch());
                if (result.applied()) progress.stepped(trainer, result);
                else System.out.printf("%s: step %d skipped (non-finite)%n", key, result.step());
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("key", key);
            row.put("model", plan.modelName());
            row.put("hook", plan.hook());
            row.put("arch", arch.label());
            row.put("d_sae", plan.dSae());
            row.put("target_l0", plan.targetL0());
            row.put("seed", plan.seed());
            row.put("steps", trainer.stepsDone());
            row.put("train_rows", rows.trainRows());
            row.put("tokens", trainer.tokens());
            row.put("dead_window_tokens", plan.windowTokens());
            row.put("dead_pct", trainer.metrics().deadPct());
            if (config.has(Penalised.LAMBDA1)) row.put("lambda1", trainer.lambda1());
            if (config.has(TopK.K)) row.put("k", config.get(TopK.K));
            row.putAll(heldOut(trainer, config));
            row.putAll(spliced(trainer, config, model));
            row.put("wall_s", (System.nanoTime() - t0) / 1e9);
            row.put("trajectory", progress.trajectory());
            return row;
        }
    }

    /** fve and L0 on the held-out rows, as the trainer's rows were scaled. */
    private Map<String, Object> heldOut(Trainer trainer, TrainConfig config) throws Exception {
        SaeParameters params = trainer.trainStep().parameters();
        Penalty arch = config.penalty();
        int n = rows.n();
        int held = rows.heldOutRows();
        FeatureAccumulator acc =
                new FeatureAccumulator(arch.label(), trainer.stepsDone(), plan.dSae(), 0);
        double active = 0;
        try (SaeEncoder encoder =
                SaeEncoder.open(
                        params,
                        arch.encoderSpec(
                                arch.kMax(config.settings(), plan.dSae()),
                                false,
                                WeightPrecision.FLOAT32),
                        Device.CPU,
                        plan.threads())) {
            SaeDecoder decoder = SaeDecoder.of(params);
            int chunk = config.get(TrainConfig.BATCH);
            for (int from = 0; from < held; from += chunk) {
                int count = Math.min(chunk, held - from);
                FloatBuffer x = FloatBuffer.wrap(rows.heldOut(), from * n, count * n).slice();
                SparseCodes codes = encoder.encode(x, count);
                active += codes.entries();
                acc.addReconstruction(x, codes, decoder, false, 1);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("held_out_rows", held);
        out.put("l0", active / held);
        out.put("fve", acc.fve());
        return out;
    }

    /**
     * The model's loss with the SAE's reconstruction in place of the hooked tensor on the held-out
     * sequences, and the share of features that never fired on them.
     */
    private Map<String, Object> spliced(Trainer trainer, TrainConfig config, SplicedModel model)
            throws Exception {
        SaeParameters params = trainer.trainStep().parameters();
        Penalty arch = config.penalty();
        try (SaeEncoder encoder =
                SaeEncoder.open(
                        params,
                        arch.encoderSpec(
                                arch.kMax(config.settings(), plan.dSae()),
                                rows.normalised(),
                                WeightPrecision.FLOAT32),
                        plan.device(),
                        plan.threads())) {
            SpliceEvaluation evaluation =
                    new SpliceEvaluation(
                            model,
                            new SaeSplice(encoder, SaeDecoder.of(params), rows.normalised()));
            List<TokenSequence> all = rows.heldOutSequences();
            for (int from = 0; from < all.size(); from += plan.spliceBatch())
                evaluation.add(all.subList(from, Math.min(all.size(), from + plan.spliceBatch())));
            double silent = 0;
            for (double density : evaluation.featureDensity()) if (density == 0) silent++;
            Map<String, Double> figures = evaluation.figures();
            String score =
                    model.head() == SplicedModel.Head.LOGITS ? "ce_loss_score" : "embedding_score";
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("silent_held_out_pct", 100 * silent / plan.dSae());
            out.put("splice_figure", score);
            out.put("splice_score", figures.get(score));
            out.put("splice_tokens", evaluation.tokens());
            out.put("splice", figures);
            return out;
        }
    }

    /** Row indices in an order reshuffled every epoch from one seed: the same for every run. */
    private static final class RowOrder {
        private final int[] order;
        private final Random random;
        private int at;

        RowOrder(int rows, long seed) {
            order = new int[rows];
            for (int i = 0; i < rows; i++) order[i] = i;
            random = new Random(seed);
            shuffle();
        }

        int next() {
            if (at == order.length) shuffle();
            return order[at++];
        }

        private void shuffle() {
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            at = 0;
        }
    }

    /** The report of the runs at hand: one line per run, in the order of {@code archs}. */
    public static String report(List<Map<String, Object>> runs, String command) {
        StringBuilder md = new StringBuilder();
        md.append("# Feature starvation on real text\n\n");
        if (command != null) md.append("```bash\n").append(command).append("\n```\n\n");
        List<String> models = new ArrayList<>();
        for (Map<String, Object> r : runs) {
            String m = r.get("model") + " at " + r.get("hook") + ", D " + r.get("d_sae");
            if (!models.contains(m)) models.add(m);
        }
        md.append("Runs on ").append(String.join("; ", models)).append(".\n\n");
        md.append(
                "| arch | steps | tokens | L0 held out | fve held out | dead % (last window) |"
                        + " silent on held-out % | spliced score | lambda1 or k |\n");
        md.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> r : runs)
            md.append(
                    String.format(
                            Locale.ROOT,
                            "| %s | %,d | %,d | %.1f | %.3f | %.1f | %.1f | %s %.4f | %s |%n",
                            r.get("arch"),
                            ((Number) r.get("steps")).longValue(),
                            ((Number) r.get("tokens")).longValue(),
                            ((Number) r.get("l0")).doubleValue(),
                            ((Number) r.get("fve")).doubleValue(),
                            ((Number) r.get("dead_pct")).doubleValue(),
                            ((Number) r.get("silent_held_out_pct")).doubleValue(),
                            r.get("splice_figure"),
                            r.get("splice_score") == null
                                    ? Double.NaN
                                    : ((Number) r.get("splice_score")).doubleValue(),
                            r.containsKey("k")
                                    ? "k " + r.get("k")
                                    : String.format(
                                            Locale.ROOT,
                                            "%.3g",
                                            ((Number) r.get("lambda1")).doubleValue())));
        return md.toString();
    }
}
